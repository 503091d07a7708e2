/** The gateways the configuration offers (config.ts refuses one without its keys). */
import type { Config, GatewayName } from '../../config.ts';
import type { PaymentGateway } from './gateway.ts';
import { SandboxGateway } from './sandbox.ts';
import { BakongGateway } from './bakong.ts';
import { StripeGateway } from './stripe.ts';

export function buildGateways(config: Config): Map<GatewayName, PaymentGateway> {
  const map = new Map<GatewayName, PaymentGateway>();
  for (const name of config.billing.gateways) {
    if (name === 'sandbox' && config.env !== 'production') map.set(name, new SandboxGateway());
    if (name === 'bakong') map.set(name, new BakongGateway(config.billing.bakong));
    if (name === 'stripe') map.set(name, new StripeGateway(config.billing.stripe, config.api.publicUrl));
  }
  return map;
}

/**
 * Web Push through the `web-push` library: the payload is encrypted for the browser's keys
 * (aes128gcm, RFC 8291) and POSTed to the subscription's endpoint with a VAPID signature
 * (RFC 8292). The outcome is classified for the deliverer:
 *   2xx            sent
 *   404, 410       gone: the browser dropped the subscription; it is disabled
 *   429, 5xx, network, time-out   passing: retried later
 *   other 4xx      refused (bad key, payload too large, VAPID mismatch): counted against it
 */
import dns from 'node:dns';
import https from 'node:https';
import net from 'node:net';
import webpush from 'web-push';
import type { VapidDetails } from './vapid.ts';

export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushMessage {
  payload: string;
  /** Seconds the push service keeps the message for an offline device. */
  ttlSeconds: number;
  urgency: 'very-low' | 'low' | 'normal' | 'high';
  /** Collapses an undelivered message with a later one of the same topic (≤ 32 URL-safe chars). */
  topic?: string;
}

export type PushOutcome =
  | { kind: 'sent'; status: number }
  | { kind: 'gone'; status: number }
  | { kind: 'failed'; transient: boolean; status: number | null; error: string };

export interface PushSender {
  send(target: PushTarget, message: PushMessage): Promise<PushOutcome>;
}

export interface WebPushOptions {
  vapid: VapidDetails;
  /** Hosts an endpoint may point at (and their sub-domains); ['*'] → any https host. */
  allowedHosts: readonly string[];
  timeoutMs?: number;
  /** Tests: an agent that trusts the local endpoint's self-signed certificate. */
  agent?: https.Agent;
  /**
   * Tests only (a local push service): these exact non-public addresses may be reached.
   * Configuration never sets it: in every mode, `*` included, the server POSTs only to
   * public addresses.
   */
  reachableAddresses?: readonly string[];
}

/**
 * Addresses a push endpoint may never reach: this host, our network and
 * everything not globally routable — IPv4 and IPv6 (IPv4-mapped IPv6 addresses are checked
 * against the IPv4 ranges by BlockList).
 */
const NON_PUBLIC = (() => {
  const b = new net.BlockList();
  for (const [a, p] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const)
    b.addSubnet(a, p, 'ipv4');
  for (const [a, p] of [
    ['::', 128],
    ['::1', 128],
    ['64:ff9b::', 96],
    ['64:ff9b:1::', 48],
    ['100::', 64],
    ['2001::', 23],
    ['2001:db8::', 32],
    ['2002::', 16],
    ['fc00::', 7],
    ['fe80::', 10],
    ['fec0::', 10],
    ['ff00::', 8],
  ] as const)
    b.addSubnet(a, p, 'ipv6');
  return b;
})();

/** Is this IP address globally routable (a push service may live there)? */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host of a URL without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

type Lookup = (hostname: string, options: { all: true }) => Promise<{ address: string }[]>;
const systemLookup: Lookup = (hostname, options) => dns.promises.lookup(hostname, options);

/**
 * The endpoint's host resolved now: 'private' when it is, or resolves to, a non-public address;
 * 'unresolved' when it does not resolve (the send re-checks at connect time); else 'public'.
 */
export async function endpointAddressCheck(
  endpoint: string,
  reachable: readonly string[] = [],
  lookup: Lookup = systemLookup,
): Promise<'public' | 'private' | 'unresolved'> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'private';
  }
  const host = hostOf(url);
  let addresses: string[];
  if (net.isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      return 'unresolved';
    }
  }
  return addresses.length > 0 && addresses.every((a) => isPublicAddress(a) || reachable.includes(a))
    ? 'public'
    : 'private';
}

/**
 * A DNS lookup for the push agent that refuses a host resolving to any non-public address: the
 * check happens on the addresses actually connected to (no rebinding between check and send).
 */
export function publicOnlyLookup(reachable: readonly string[] = []): net.LookupFunction {
  return ((
    hostname: string,
    options: dns.LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
  ) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.find((a) => !isPublicAddress(a.address) && !reachable.includes(a.address));
      if (bad !== undefined || addresses.length === 0) {
        return callback(
          Object.assign(new Error(`push endpoint host resolves to a non-public address`), { code: 'EPUSHPRIVATE' }),
          '',
          0,
        );
      }
      if (options.all === true) return callback(null, addresses);
      const first = addresses[0] as dns.LookupAddress;
      return callback(null, first.address, first.family);
    });
  }) as net.LookupFunction;
}

/** Is this a push endpoint we are willing to POST to? https, allowed host, no credentials. */
export function endpointAllowed(
  endpoint: string,
  allowedHosts: readonly string[],
  reachable: readonly string[] = [],
): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || endpoint.length > 2048) return false;
  // an IP address as the host: only a public one, whatever the allowed hosts say
  const literal = hostOf(url);
  if (net.isIP(literal) !== 0 && !isPublicAddress(literal) && !reachable.includes(literal)) return false;
  if (allowedHosts.includes('*')) return true;
  const host = url.hostname.toLowerCase();
  return allowedHosts.some((h) => host === h || host.endsWith(`.${h}`));
}

function isWebPushError(err: unknown): err is webpush.WebPushError {
  return err instanceof webpush.WebPushError;
}

export function webPushSender(options: WebPushOptions): PushSender {
  const reachable = options.reachableAddresses ?? [];
  // every connection's addresses are checked as it is made (see publicOnlyLookup)
  const agent = options.agent ?? new https.Agent({ keepAlive: false, lookup: publicOnlyLookup(reachable) });
  return {
    async send(target, message) {
      if (!endpointAllowed(target.endpoint, options.allowedHosts, reachable)) {
        return { kind: 'failed', transient: false, status: null, error: 'endpoint host not allowed' };
      }
      if ((await endpointAddressCheck(target.endpoint, reachable)) === 'private') {
        return { kind: 'failed', transient: false, status: null, error: 'endpoint resolves to a non-public address' };
      }
      try {
        const res = await webpush.sendNotification(
          { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
          message.payload,
          {
            vapidDetails: options.vapid,
            TTL: message.ttlSeconds,
            urgency: message.urgency,
            contentEncoding: 'aes128gcm',
            timeout: options.timeoutMs ?? 10_000,
            ...(message.topic !== undefined ? { topic: message.topic } : {}),
            agent,
          },
        );
        return { kind: 'sent', status: res.statusCode };
      } catch (err) {
        if (isWebPushError(err)) {
          const status = err.statusCode;
          if (status === 404 || status === 410) return { kind: 'gone', status };
          const transient = status === 429 || status >= 500;
          return { kind: 'failed', transient, status, error: `push service answered ${status}` };
        }
        // Network errors, time-outs; a subscription whose keys cannot be used is refused for good.
        const message = err instanceof Error ? err.message : String(err);
        const code = (err as NodeJS.ErrnoException).code;
        const transient = code !== 'EPUSHPRIVATE' && (code !== undefined || /timeout/i.test(message));
        return { kind: 'failed', transient, status: null, error: (code ?? message).slice(0, 200) };
      }
    },
  };
}

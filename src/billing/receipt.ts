/**
 * A payment's receipt as a self-contained HTML page (Khmer labels beside English; Khmer is shaped
 * by the browser, or by Chromium when the same page is printed to PDF). VAT-ready: the seller's
 * name, address and VAT TIN and the VAT rate come from configuration as they were when the
 * payment completed (kept with the payment); prices include VAT, so the VAT line is the part of
 * the total it makes up (0 at the default rate 0 %, and the line is shown anyway). The receipt
 * number is the payment's, from the gapless yearly series (migration 028).
 */
import { formatMoney, isCurrency } from './money.ts';

export interface ReceiptData {
  paymentId: string;
  receiptNumber: string;
  status: string;
  paidAt: Date;
  refundedAt: Date | null;
  refundMethod: string | null;
  planName: string;
  amountMinor: number;
  currency: string;
  gateway: string;
  payerName: string;
  payerEmail: string;
  language: string;
  seller: { name: string; address: string | null; vatTin: string | null; vatRateBasisPoints: number };
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const GATEWAY: Record<string, string> = { bakong: 'Bakong KHQR', stripe: 'Card (Stripe)', sandbox: 'Sandbox (test)' };

/** The VAT inside a VAT-inclusive total, in minor units, rounded half up (integers only). */
export function vatIncluded(totalMinor: number, rateBasisPoints: number): number {
  if (rateBasisPoints <= 0) return 0;
  const denominator = 10_000 + rateBasisPoints;
  return Math.floor((2 * totalMinor * rateBasisPoints + denominator) / (2 * denominator));
}

/** 1000 → "10", 1050 → "10.5". */
export function ratePercent(rateBasisPoints: number): string {
  const whole = Math.floor(rateBasisPoints / 100);
  const frac = String(rateBasisPoints % 100)
    .padStart(2, '0')
    .replace(/0+$/, '');
  return frac === '' ? String(whole) : `${whole}.${frac}`;
}

/** The seller facts a payment kept when it completed, else today's configuration. */
export function sellerOf(metadata: Record<string, unknown>, fallback: ReceiptData['seller']): ReceiptData['seller'] {
  if (typeof metadata.seller_name !== 'string') return fallback;
  return {
    name: metadata.seller_name,
    address: typeof metadata.seller_address === 'string' ? metadata.seller_address : null,
    vatTin: typeof metadata.seller_vat_tin === 'string' ? metadata.seller_vat_tin : null,
    vatRateBasisPoints:
      typeof metadata.vat_rate_bp === 'number' && Number.isSafeInteger(metadata.vat_rate_bp) ? metadata.vat_rate_bp : 0,
  };
}

export function receiptHtml(r: ReceiptData): string {
  const money = (m: number): string => (isCurrency(r.currency) ? formatMoney(m, r.currency) : `${m} ${r.currency}`);
  const vat = vatIncluded(r.amountMinor, r.seller.vatRateBasisPoints);
  const rate = ratePercent(r.seller.vatRateBasisPoints);
  const row = (km: string, en: string, value: string): string =>
    `<tr><th><span lang="km">${km}</span><br>${en}</th><td>${value}</td></tr>`;
  const refund = r.refundMethod === 'manual' ? ' (manual refund, outside the gateway)' : '';
  return `<!doctype html>
<html lang="${esc(r.language)}"><head><meta charset="utf-8"><title>Receipt ${esc(r.receiptNumber)}</title>
<style>body{font-family:"Noto Sans Khmer","Khmer OS Siemreap","Noto Sans",system-ui,sans-serif;max-width:40rem;margin:2rem auto;color:#222}
th{text-align:left;font-weight:normal;color:#555;padding:.4rem 1rem .4rem 0;vertical-align:top}td{padding:.4rem 0}
.total td{font-weight:bold}.refunded{color:#a00}</style></head>
<body><h1><span lang="km">បង្កាន់ដៃបង់ប្រាក់</span> · Receipt</h1>
<p><span lang="km">អ្នកលក់</span> Seller: ${esc(r.seller.name)}${r.seller.address ? `<br>${esc(r.seller.address)}` : ''}<br>
<span lang="km">លេខអត្តសញ្ញាណកម្មសារពើពន្ធ</span> VAT TIN: ${r.seller.vatTin ? esc(r.seller.vatTin) : '— (not VAT-registered)'}</p>
<table>
${row('លេខបង្កាន់ដៃ', 'Receipt number', esc(r.receiptNumber))}
${row('កាលបរិច្ឆេទ', 'Date paid', `${esc(r.paidAt.toISOString().replace('T', ' ').slice(0, 16))} UTC`)}
${row('អតិថិជន', 'Customer', `${esc(r.payerName)}<br>${esc(r.payerEmail)}`)}
${row('គម្រោង', 'Plan', esc(r.planName))}
${row('វិធីបង់ប្រាក់', 'Paid with', esc(GATEWAY[r.gateway] ?? r.gateway))}
${row('តម្លៃមុនអាករ', 'Amount before VAT', esc(money(r.amountMinor - vat)))}
${row(`អាករលើតម្លៃបន្ថែម (${rate}%)`, `VAT (${rate}%)`, esc(money(vat)))}
<tr class="total"><th><span lang="km">សរុប</span><br>Total</th><td>${esc(money(r.amountMinor))}</td></tr>
</table>
${r.status === 'refunded' && r.refundedAt ? `<p class="refunded"><span lang="km">បានសងប្រាក់វិញ</span> · Refunded ${esc(r.refundedAt.toISOString().slice(0, 10))}${refund}</p>` : ''}
<p><small>Payment ${esc(r.paymentId)}</small></p>
</body></html>
`;
}

/**
 * A payment's receipt as a self-contained HTML page (Khmer labels beside English; the browser
 * shapes Khmer with the system's fonts). VAT-ready: the seller's tax fields and a VAT line are
 * there; DasTern charges no VAT today (rate 0, amount 0).
 */
import { formatMoney, isCurrency } from './money.ts';

export interface ReceiptData {
  paymentId: string;
  status: string;
  paidAt: Date;
  refundedAt: Date | null;
  planName: string;
  amountMinor: number;
  currency: string;
  gateway: string;
  payerName: string;
  payerEmail: string;
  language: string;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const GATEWAY: Record<string, string> = { bakong: 'Bakong KHQR', stripe: 'Card (Stripe)', sandbox: 'Sandbox (test)' };

export function receiptHtml(r: ReceiptData): string {
  const money = (m: number): string => (isCurrency(r.currency) ? formatMoney(m, r.currency) : `${m} ${r.currency}`);
  const number = `DT-${r.paidAt.toISOString().slice(0, 10).replace(/-/g, '')}-${r.paymentId.slice(0, 8).toUpperCase()}`;
  const row = (km: string, en: string, value: string): string => `<tr><th><span lang="km">${km}</span><br>${en}</th><td>${value}</td></tr>`;
  return `<!doctype html>
<html lang="${esc(r.language)}"><head><meta charset="utf-8"><title>Receipt ${esc(number)}</title>
<style>body{font-family:"Khmer OS Siemreap","Noto Sans Khmer",system-ui,sans-serif;max-width:40rem;margin:2rem auto;color:#222}
th{text-align:left;font-weight:normal;color:#555;padding:.4rem 1rem .4rem 0;vertical-align:top}td{padding:.4rem 0}
.total td{font-weight:bold}.refunded{color:#a00}</style></head>
<body><h1><span lang="km">បង្កាន់ដៃបង់ប្រាក់</span> · Receipt</h1>
<p>DasTern · <span lang="km">អ្នកលក់</span> Seller: DasTern · VAT TIN: — (not VAT-registered)</p>
<table>
${row('លេខបង្កាន់ដៃ', 'Receipt number', esc(number))}
${row('កាលបរិច្ឆេទ', 'Date paid', esc(r.paidAt.toISOString().replace('T', ' ').slice(0, 16)))}
${row('អតិថិជន', 'Customer', `${esc(r.payerName)}<br>${esc(r.payerEmail)}`)}
${row('គម្រោង', 'Plan', esc(r.planName))}
${row('វិធីបង់ប្រាក់', 'Paid with', esc(GATEWAY[r.gateway] ?? r.gateway))}
${row('តម្លៃមុនអាករ', 'Amount before VAT', esc(money(r.amountMinor)))}
${row('អាករលើតម្លៃបន្ថែម (0%)', 'VAT (0%)', esc(money(0)))}
<tr class="total"><th><span lang="km">សរុប</span><br>Total</th><td>${esc(money(r.amountMinor))}</td></tr>
</table>
${r.status === 'refunded' && r.refundedAt ? `<p class="refunded"><span lang="km">បានសងប្រាក់វិញ</span> · Refunded ${esc(r.refundedAt.toISOString().slice(0, 10))}</p>` : ''}
<p><small>Payment ${esc(r.paymentId)}</small></p>
</body></html>
`;
}

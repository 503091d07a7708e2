/** Small helpers for the benchmarks: percentiles, formatting, progress on a TTY only. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

export interface Summary {
  runs: number;
  median: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  return {
    runs: values.length,
    median: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
  };
}

export const ms = (x: number): string => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(3) : x.toFixed(1)} ms` : 'n/a');
export const secs = (x: number): string => `${(x / 1000).toFixed(2)} s`;
export const int = (x: number): string => Math.round(x).toLocaleString('en-US');

/** Progress lines on stderr when it is a terminal; silent otherwise (CI logs stay clean). */
export function progress(enabled: boolean): (text: string) => void {
  let last = 0;
  return (text: string) => {
    if (!enabled) return;
    const line = text.length > 110 ? `${text.slice(0, 107)}...` : text;
    process.stderr.write(`\r${line}${' '.repeat(Math.max(0, last - line.length))}`);
    last = line.length;
    if (text.endsWith('\n')) last = 0;
  };
}

/** Fixed-width table for stdout. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

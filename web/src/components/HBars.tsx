/**
 * A horizontal bar chart: one row per value, its label on its own line above the bar and the
 * figure beside it, so labels never run together however long they are (Khmer, French).
 */
export function HBars({
  label,
  rows,
}: {
  label: string;
  rows: { key: string; label: string; value: number; text: string }[];
}) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <figure className="hbars" aria-label={label} role="group">
      {rows.map((r) => (
        <div key={r.key} className="hbar">
          <span className="hbar-label">{r.label}</span>
          <span className="hbar-track" aria-hidden="true">
            <span className="hbar-fill" style={{ width: `${(r.value / max) * 100}%` }} />
          </span>
          <span className="hbar-value">{r.text}</span>
        </div>
      ))}
    </figure>
  );
}

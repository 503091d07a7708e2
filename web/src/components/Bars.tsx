/** A small accessible bar chart (SVG): one bar per value 0–100, with a text table for screen readers. */
export function Bars({
  label,
  values,
}: {
  label: string;
  values: { key: string; label: string; value: number | null; title: string }[];
}) {
  const w = 100 / Math.max(values.length, 1);
  return (
    <figure className="chart">
      <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label={label}>
        <line x1="0" y1="40" x2="100" y2="40" stroke="#9aa5b1" strokeWidth="0.4" />
        {values.map((v, i) => (
          <rect
            key={v.key}
            x={i * w + w * 0.15}
            width={w * 0.7}
            y={40 - ((v.value ?? 0) / 100) * 40}
            height={((v.value ?? 0) / 100) * 40}
            fill={v.value === null ? '#d0d7de' : v.value >= 80 ? '#1a7f37' : v.value >= 50 ? '#b08800' : '#c62828'}
          >
            <title>{v.title}</title>
          </rect>
        ))}
      </svg>
      <figcaption className="chart-labels" aria-hidden="true">
        {values.map((v) => (
          <span key={v.key}>{v.label}</span>
        ))}
      </figcaption>
    </figure>
  );
}

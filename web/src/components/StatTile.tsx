import type { ReactNode } from 'react';

/** One figure of a `card stats` row: the number large, what it counts under it. */
export function StatTile({ value, label }: { value: ReactNode; label: string }) {
  return (
    <div>
      <span className="big-number">{value}</span>
      <span>{label}</span>
    </div>
  );
}

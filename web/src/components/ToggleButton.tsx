import type { ReactNode } from 'react';

/** One button of a `langs` group: pressed when it is the choice in force. */
export function ToggleButton({
  on,
  onClick,
  lang,
  children,
}: {
  on: boolean;
  onClick: () => void;
  lang?: string;
  children: ReactNode;
}) {
  return (
    <button type="button" lang={lang} className={on ? 'lang on' : 'lang'} aria-pressed={on} onClick={onClick}>
      {children}
    </button>
  );
}

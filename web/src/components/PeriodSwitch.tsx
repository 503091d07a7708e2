/** The 7- or 30-day switch of the adherence and history screens. */
import { useTranslation } from 'react-i18next';
import { digits } from '../format.ts';
import { ToggleButton } from './ToggleButton.tsx';

export type Period = 7 | 30;

export function PeriodSwitch({ days, onChange }: { days: Period; onChange: (days: Period) => void }) {
  const { t, i18n } = useTranslation();
  return (
    <div className="langs" role="group" aria-label={t('adherence.period')}>
      {([7, 30] as const).map((d) => (
        <ToggleButton key={d} on={days === d} onClick={() => onChange(d)}>
          {t('adherence.days', { n: digits(d, i18n.language) })}
        </ToggleButton>
      ))}
    </div>
  );
}

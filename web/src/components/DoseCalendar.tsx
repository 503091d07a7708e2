/**
 * A calendar of taken and missed doses: one cell per day of the period, coloured by what
 * happened (all taken, some missed or skipped, nothing due), each with its counts in words.
 */
import { useTranslation } from 'react-i18next';
import { date, digits } from '../format.ts';
import { countsText } from './counts.ts';

export interface DayCounts {
  date: string;
  taken: number;
  missed: number;
  skipped: number;
}

function state(d: DayCounts): 'taken' | 'partial' | 'missed' | 'none' {
  const due = d.taken + d.missed + d.skipped;
  if (due === 0) return 'none';
  if (d.taken === due) return 'taken';
  return d.taken === 0 ? 'missed' : 'partial';
}

const MARK = { taken: '✓', partial: '◐', missed: '✗', none: '·' } as const;

export function DoseCalendar({ days, label }: { days: DayCounts[]; label: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <div className="calendar-box">
      <h3>{label}</h3>
      <ol className="calendar" data-testid="dose-calendar">
        {days.map((d) => {
          const s = state(d);
          const words = s === 'none' ? t('calendar.nothing') : countsText(t, d, lang);
          return (
            <li key={d.date} className={`day ${s}`} data-state={s}>
              <span aria-hidden="true" className="day-number">
                {digits(Number(d.date.slice(8, 10)), lang)}
              </span>
              <span aria-hidden="true" className="day-mark">
                {MARK[s]}
              </span>
              <span className="visually-hidden">
                {date(d.date, lang)}: {words}
              </span>
            </li>
          );
        })}
      </ol>
      <p className="legend muted" aria-hidden="true">
        <span className="day taken">{MARK.taken}</span> {t('calendar.allTaken')}{' '}
        <span className="day partial">{MARK.partial}</span> {t('calendar.some')}{' '}
        <span className="day missed">{MARK.missed}</span> {t('calendar.missed')}
      </p>
    </div>
  );
}

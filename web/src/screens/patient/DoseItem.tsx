/** One dose on Today: what to take, its status, and take / skip / later (or "took it anyway" before the start). */
import { useTranslation } from 'react-i18next';
import type { GetOk } from '../../api/client.ts';
import type { DoseAction } from '../../offline-queue.ts';
import { amount } from './medicines/shared.ts';

export type Dose = GetOk<'/api/v1/reminders/today'>['items'][number];
export type Act = (d: Dose, status: DoseAction['status']) => void;

function DoseButtons({ d, act }: { d: Dose; act: Act }) {
  const { t } = useTranslation();
  return (
    <div className="actions">
      <button className="primary" onClick={() => act(d, 'taken')} aria-label={t('today.takeAria', { name: d.name })}>
        {t('today.take')}
      </button>
      <button onClick={() => act(d, 'skipped')} aria-label={t('today.skipAria', { name: d.name })}>
        {t('today.skip')}
      </button>
      <button onClick={() => act(d, 'snoozed')} aria-label={t('today.snoozeAria', { name: d.name })}>
        {t('today.snooze')}
      </button>
    </div>
  );
}

/** `status`: the dose's own, or the one queued for it while offline. */
export function DoseItem({ d, status, act }: { d: Dose; status: string; act: Act }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  // The API records a dose at most 12 hours ahead: later ones get their buttons later.
  const done = status === 'taken' || status === 'skipped' || Date.parse(d.scheduled_for) > Date.now() + 12 * 3600_000;
  // A dose whose time had passed when she added the medicine is not due: it can be recorded if taken.
  const notDue = d.before_start && status === 'pending';
  return (
    <li className={notDue ? 'dose not-due' : `dose ${status}`} data-testid="dose">
      <div className="dose-main">
        <strong>{d.name}</strong> {d.strength !== null ? <span className="muted">{d.strength}</span> : null}
        <div>
          {t('today.amount', {
            amount: amount(d.dose_amount, lang),
            unit: i18n.exists(`unit.${d.dose_unit}`) ? t(`unit.${d.dose_unit}`) : d.dose_unit,
          })}
          {d.take_after_meal ? ` · ${t('today.afterMeal')}` : d.take_before_meal ? ` · ${t('today.beforeMeal')}` : ''}
        </div>
        <div className="status">{notDue ? t('today.beforeStart') : t(`doseStatus.${status}`)}</div>
      </div>
      {notDue ? (
        <div className="actions">
          <button onClick={() => act(d, 'taken')} aria-label={t('today.takeAria', { name: d.name })}>
            {t('today.tookAnyway')}
          </button>
        </div>
      ) : !done ? (
        <DoseButtons d={d} act={act} />
      ) : null}
    </li>
  );
}

/** A confirmed prescription: its safety alerts, its medicines and their reminder times. */
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { time } from '../../../format.ts';
import type { Detail } from './draft.ts';

/** The safety checks over this prescription and her other medicines: most severe first. */
export function SafetyAlerts({ alerts }: { alerts: Detail['safety_alerts'] }) {
  const { t } = useTranslation();
  if (alerts.length === 0) return null;
  return (
    <div className="card" role="alert" data-testid="safety-alerts">
      <h2>{t('review.alerts')}</h2>
      <ul className="list">
        {alerts.map((a, i) => (
          <li key={i} className={a.severity === 'major' || a.severity === 'contraindicated' ? 'error' : 'warning'}>
            <strong>{t(`severity.${a.severity}`)}</strong> · {a.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Confirmed({ p }: { p: Detail }) {
  const { t, i18n } = useTranslation();
  return (
    <div className="card">
      <p role="status" className="ok">
        {t('review.confirmed')}
      </p>
      <SafetyAlerts alerts={p.safety_alerts} />
      <ul className="list">
        {p.medications.map((m) => (
          <li key={m.id}>
            <strong>{m.name}</strong> {m.strength ?? ''}
            <div className="muted">
              {p.reminders
                .filter((r) => r.medication_id === m.id)
                .map((r) => `${t(`slot.${r.slot}`)} ${time(r.reminder_time, i18n.language)}`)
                .join(' · ')}
            </div>
            {m.instructions !== null ? <div>{m.instructions}</div> : null}
          </li>
        ))}
      </ul>
      <Link className="button primary" to="/today">
        {t('nav.today')}
      </Link>
    </div>
  );
}

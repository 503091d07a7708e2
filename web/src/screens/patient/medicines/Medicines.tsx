/** My medicines: the active ones first (from prescriptions and added by hand), then the stopped ones. */
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { ErrorText } from '../../../components/Field.tsx';
import { date } from '../../../format.ts';
import { medicationsQuery, scheduleText, type Medication } from './shared.ts';

function Item({ m }: { m: Medication }) {
  const { t, i18n } = useTranslation();
  return (
    <li data-testid="medicine">
      <Link to={`/medicines/${m.id}`}>
        <strong>{m.name}</strong>
      </Link>{' '}
      {m.strength !== null ? <span className="muted">{m.strength}</span> : null}
      <div>{scheduleText(m, t, i18n.language)}</div>
      <div className="muted">
        {t(m.source === 'manual' ? 'medicines.byHand' : 'medicines.fromPrescription')}
        {m.stopped_at !== null ? ` · ${t('medicines.stoppedOn', { date: date(m.stopped_at, i18n.language) })}` : ''}
      </div>
    </li>
  );
}

export function Medicines() {
  const { t } = useTranslation();
  const q = useQuery(medicationsQuery);
  const items = q.data?.items ?? [];
  const active = items.filter((m) => m.is_active);
  const stopped = items.filter((m) => !m.is_active);
  return (
    <section>
      <h1>{t('medicines.title')}</h1>
      <Link className="button primary" to="/medicines/new">
        {t('medicines.add')}
      </Link>
      <ErrorText error={q.error} />
      {q.isPending ? <p className="muted">{t('common.loading')}</p> : null}
      {q.isSuccess && active.length === 0 ? <p className="muted">{t('medicines.none')}</p> : null}
      <ul className="list">
        {active.map((m) => (
          <Item key={m.id} m={m} />
        ))}
      </ul>
      {stopped.length > 0 ? (
        <>
          <h2>{t('medicines.stopped')}</h2>
          <ul className="list">
            {stopped.map((m) => (
              <Item key={m.id} m={m} />
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

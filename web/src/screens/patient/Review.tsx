/**
 * One prescription: the reading's progress (polled), then the review — the photo beside the
 * fields, low-confidence fields highlighted, the 4-slot dose grid (½ steps), add/remove a
 * medication — and confirm. Once confirmed: the medicines and their reminders.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, imageDataUrl, must, type GetOk } from '../../api/client.ts';
import { ErrorText, Field } from '../../components/Field.tsx';
import { date, digits, time } from '../../format.ts';
import { SLOTS } from './Today.tsx';
import { useAction } from '../../hooks/useFormSubmit.ts';

// OCR correction (Premium) loads on demand: the patient shell stays small.
const OcrSuggestions = lazy(() => import('../ai/OcrSuggestions.tsx'));

type Detail = GetOk<'/api/v1/prescriptions/{id}'>;
type Draft = Detail['draft_medications'][number];
const LOW = 0.7;
const READING = ['pending', 'processing'];
/** A reading usually takes well under a minute: after 3 minutes, say it takes long. */
const SLOW_READING_MS = 3 * 60_000;
/** The server's STALE_READING_MS (src/prescriptions/service.ts): no job is reading it any more; it may be removed. */
const STALE_READING_MS = 30 * 60_000;

function low(m: Draft, field: string): boolean {
  const c = m.field_confidence?.[field];
  if (typeof c === 'number') return c < LOW;
  if (c !== undefined) return Object.values(c).some((v) => v < LOW);
  return false;
}

/** A line the reader was unsure of, or whose name it did not find in the lexicon: OCR correction has something to offer. */
function hardToRead(m: Draft): boolean {
  return (
    (typeof m.confidence === 'number' && m.confidence < LOW) ||
    low(m, 'name') ||
    low(m, 'strength') ||
    (m.drug_id ?? null) === null
  );
}

function emptyMedication(): Draft {
  return { name: '', dosage_schedule: { morning: 0, noon: 0, evening: 0, night: 0 } };
}

function DoseGrid({ m, onChange }: { m: Draft; onChange: (d: Draft) => void }) {
  const { t } = useTranslation();
  return (
    <fieldset className={low(m, 'dosage_schedule') ? 'grid warn' : 'grid'}>
      <legend>{t('review.doses')}</legend>
      {SLOTS.map((slot) => (
        <Field
          key={slot}
          label={t(`slot.${slot}`)}
          type="number"
          inputMode="decimal"
          min={0}
          max={100}
          step={0.5}
          value={m.dosage_schedule[slot]}
          onChange={(e) =>
            onChange({
              ...m,
              dosage_schedule: { ...m.dosage_schedule, [slot]: Math.max(0, Number(e.currentTarget.value) || 0) },
            })
          }
        />
      ))}
    </fieldset>
  );
}

function Photo({ id }: { id: string }) {
  const { t } = useTranslation();
  const [src, setSrc] = useState<string | null>(null);
  const [zoom, setZoom] = useState(false);
  useEffect(() => {
    imageDataUrl(`/api/v1/prescriptions/${id}/image`).then(setSrc, () => setSrc(null));
  }, [id]);
  if (src === null) return null;
  return (
    <figure className={zoom ? 'photo zoom' : 'photo'}>
      <button
        type="button"
        className="plain"
        onClick={() => setZoom(!zoom)}
        aria-pressed={zoom}
        aria-label={t('review.zoom')}
      >
        <img src={src} alt={t('review.photo')} />
      </button>
    </figure>
  );
}

/** The safety checks over this prescription and her other medicines: most severe first. */
function SafetyAlerts({ alerts }: { alerts: Detail['safety_alerts'] }) {
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

function Confirmed({ p }: { p: Detail }) {
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

export function Review() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const q = useQuery({
    queryKey: ['prescription', id],
    queryFn: async () => must(await api.GET('/api/v1/prescriptions/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => (READING.includes(query.state.data?.status ?? 'pending') ? 1500 : false),
  });
  const [meds, setMeds] = useState<Draft[] | null>(null);
  const [header, setHeader] = useState<{
    hospital_name: string;
    prescribing_doctor_name: string;
    prescription_date: string;
  } | null>(null);
  const { busy, error, setError, run } = useAction();
  const p = q.data;

  useEffect(() => {
    if (p?.status === 'ocr_completed' && meds === null) {
      setMeds(p.draft_medications.length > 0 ? p.draft_medications : [emptyMedication()]);
      setHeader({
        hospital_name: p.hospital_name ?? '',
        prescribing_doctor_name: p.prescribing_doctor_name ?? '',
        prescription_date: p.prescription_date ?? '',
      });
    }
  }, [p, meds]);

  if (q.error !== null) return <ErrorText error={q.error} />;
  if (p === undefined) return <p className="muted">{t('common.loading')}</p>;

  if (READING.includes(p.status)) {
    return (
      <section className="card">
        <h1>{t('review.reading')}</h1>
        <progress aria-label={t('review.reading')} />
        <p aria-live="polite">{t(`prescriptionStatus.${p.status}`)}</p>
        {Date.now() - Date.parse(p.updated_at) > STALE_READING_MS ? (
          <div className="note" role="alert" data-testid="reading-stuck">
            <p>{t('reading.stuck')}</p>
            <button
              type="button"
              onClick={async () => {
                const r = await api.DELETE('/api/v1/prescriptions/{id}', { params: { path: { id } } });
                if (!r.response.ok) setError(new Error(t('reading.deleteFailed')));
                else {
                  void client.invalidateQueries({ queryKey: ['prescriptions'] });
                  navigate('/scan', { replace: true });
                }
              }}
            >
              {t('reading.again')}
            </button>
            <ErrorText error={error} />
          </div>
        ) : Date.now() - Date.parse(p.updated_at) > SLOW_READING_MS ? (
          <p className="note" role="status">
            {t('reading.slow')}
          </p>
        ) : null}
      </section>
    );
  }
  if (p.status === 'error') {
    return (
      <section className="card">
        <h1>{t('review.title')}</h1>
        <p role="alert" className="error">
          {t('review.failed')}
        </p>
        <button
          onClick={async () => {
            must(await api.POST('/api/v1/prescriptions/{id}/reprocess', { params: { path: { id } } }));
            await client.invalidateQueries({ queryKey: ['prescription', id] });
          }}
        >
          {t('review.again')}
        </button>
      </section>
    );
  }
  if (p.status === 'completed' || p.status === 'archived') {
    return (
      <section>
        <h1>{t('review.title')}</h1>
        <Confirmed p={p} />
      </section>
    );
  }
  if (meds === null || header === null) return <p className="muted">{t('common.loading')}</p>;

  const update = (i: number, m: Draft) => setMeds(meds.map((x, j) => (j === i ? m : x)));
  const body = () => ({
    hospital_name: header.hospital_name.trim() === '' ? null : header.hospital_name.trim(),
    prescribing_doctor_name:
      header.prescribing_doctor_name.trim() === '' ? null : header.prescribing_doctor_name.trim(),
    prescription_date: header.prescription_date === '' ? null : header.prescription_date,
    medications: meds.map((m) => ({ ...m, name: m.name.trim() })),
  });

  const save = (confirm: boolean) =>
    run(async () => {
      must(await api.PATCH('/api/v1/prescriptions/{id}', { params: { path: { id } }, body: body() }));
      if (confirm) {
        must(await api.POST('/api/v1/prescriptions/{id}/confirm', { params: { path: { id } }, body: {} }));
        void client.invalidateQueries({ queryKey: ['today'] });
      }
      await client.invalidateQueries({ queryKey: ['prescription', id] });
      if (confirm) navigate(`/prescriptions/${id}`, { replace: true });
    });

  return (
    <section>
      <h1>{t('review.title')}</h1>
      <p className="muted">{t('review.help')}</p>
      <SafetyAlerts alerts={p.safety_alerts} />
      {p.draft_medications.some(hardToRead) ? (
        <Suspense fallback={null}>
          <OcrSuggestions
            prescriptionId={id}
            lines={meds}
            onAccept={(changes) =>
              setMeds(
                meds.map((m, i) =>
                  changes.filter((c) => c.index === i).reduce((x, c) => ({ ...x, [c.field]: c.value }), m),
                ),
              )
            }
          />
        </Suspense>
      ) : null}
      <div className="review">
        <Photo id={id} />
        <form
          className="fields"
          onSubmit={(e) => {
            e.preventDefault();
            void save(true);
          }}
        >
          <Field
            label={t('review.hospital')}
            value={header.hospital_name}
            maxLength={200}
            onChange={(e) => setHeader({ ...header, hospital_name: e.currentTarget.value })}
          />
          <Field
            label={t('review.doctor')}
            value={header.prescribing_doctor_name}
            maxLength={200}
            onChange={(e) => setHeader({ ...header, prescribing_doctor_name: e.currentTarget.value })}
          />
          <Field
            label={t('review.date')}
            type="date"
            value={header.prescription_date}
            onChange={(e) => setHeader({ ...header, prescription_date: e.currentTarget.value })}
            hint={header.prescription_date !== '' ? date(header.prescription_date, i18n.language, t) : undefined}
          />
          {meds.map((m, i) => (
            <div key={i} className="card med" data-testid="medication">
              <h2>{t('review.medication', { n: digits(i + 1, i18n.language) })}</h2>
              {m.confidence !== undefined && m.confidence !== null && m.confidence < LOW ? (
                <p className="note">{t('review.checkThis')}</p>
              ) : null}
              <Field
                label={t('review.name')}
                value={m.name}
                required
                maxLength={200}
                warn={low(m, 'name')}
                onChange={(e) => update(i, { ...m, name: e.currentTarget.value })}
              />
              <Field
                label={t('review.strength')}
                value={m.strength ?? ''}
                maxLength={50}
                warn={low(m, 'strength')}
                onChange={(e) =>
                  update(i, { ...m, strength: e.currentTarget.value === '' ? null : e.currentTarget.value })
                }
              />
              <DoseGrid m={m} onChange={(d) => update(i, d)} />
              <Field
                label={t('review.days')}
                type="number"
                min={1}
                max={3650}
                value={m.duration_days ?? ''}
                warn={low(m, 'duration_days')}
                onChange={(e) =>
                  update(i, {
                    ...m,
                    duration_days:
                      e.currentTarget.value === '' ? null : Math.max(1, Math.round(Number(e.currentTarget.value))),
                  })
                }
              />
              <Field
                label={t('review.instructions')}
                value={m.instructions ?? ''}
                maxLength={500}
                onChange={(e) =>
                  update(i, { ...m, instructions: e.currentTarget.value === '' ? null : e.currentTarget.value })
                }
              />
              <button type="button" className="danger" onClick={() => setMeds(meds.filter((_, j) => j !== i))}>
                {t('review.remove')}
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setMeds([...meds, emptyMedication()])}>
            {t('review.add')}
          </button>
          <ErrorText error={error} />
          <div className="actions">
            <button type="button" disabled={busy} onClick={() => void save(false)}>
              {t('review.save')}
            </button>
            <button className="primary" disabled={busy || meds.length === 0}>
              {t('review.confirm')}
            </button>
          </div>
        </form>
      </div>
    </section>
  );
}

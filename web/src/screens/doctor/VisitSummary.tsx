/** The AI-drafted visit summary of a patient: clearly a draft, editable, saved only as the doctor's own private note. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { date } from '../../format.ts';

interface Draft {
  text: string;
  generated_at: string;
}

/** The draft as the doctor edits it: its badge, the text, save (when he may write notes) and draft again. */
function DraftView({
  draft,
  onChange,
  canSave,
  onSave,
  busy,
  onAgain,
  saved,
}: {
  draft: Draft;
  onChange: (d: Draft) => void;
  canSave: boolean;
  onSave: () => void;
  busy: boolean;
  onAgain: () => void;
  saved: boolean;
}) {
  const { t, i18n } = useTranslation();
  return (
    <>
      <p className="draft-badge" role="note">
        {t('summary.draft', { date: date(draft.generated_at, i18n.language, t) })}
      </p>
      <label htmlFor="visit-summary-text" className="visually-hidden">
        {t('summary.title')}
      </label>
      <textarea
        id="visit-summary-text"
        rows={10}
        value={draft.text}
        onChange={(e) => onChange({ ...draft, text: e.currentTarget.value })}
      />
      {canSave ? (
        <button type="button" className="primary" disabled={draft.text.trim() === ''} onClick={onSave}>
          {t('summary.save')}
        </button>
      ) : null}
      <button type="button" onClick={onAgain} disabled={busy}>
        {t('summary.again')}
      </button>
      {saved ? (
        <p className="ok" role="status">
          {t('summary.saved')}
        </p>
      ) : null}
    </>
  );
}

export function VisitSummary({ patientId, canSave }: { patientId: string; canSave: boolean }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function make() {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const s = must(
        await api.GET('/api/v1/ai/patients/{id}/visit-summary', {
          params: { path: { id: patientId }, query: { days: 30 } },
        }),
      );
      setDraft({ text: s.text, generated_at: s.generated_at });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function save() {
    if (draft === null) return;
    setError(null);
    try {
      must(
        await api.POST('/api/v1/clinical-notes', {
          body: { patient_id: patientId, title: t('summary.noteTitle'), content: draft.text.trim(), is_private: true },
        }),
      );
      setSaved(true);
      await client.invalidateQueries({ queryKey: ['notes', patientId] });
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div className="card" data-testid="visit-summary">
      <h2>{t('summary.title')}</h2>
      {draft === null ? (
        <>
          <p className="muted">{t('summary.help')}</p>
          <button type="button" disabled={busy} onClick={() => void make()}>
            {busy ? t('common.loading') : t('summary.make')}
          </button>
        </>
      ) : (
        <DraftView
          draft={draft}
          onChange={setDraft}
          canSave={canSave}
          onSave={() => void save()}
          busy={busy}
          onAgain={() => void make()}
          saved={saved}
        />
      )}
      <ErrorText error={error} />
    </div>
  );
}

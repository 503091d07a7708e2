/** Admin: verify the audit trail's hash chain (seal, then walk it) and read its latest entries. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { clock, date, digits } from '../../format.ts';
import { AdminTabs } from './AdminTabs.tsx';
import { useAction } from '../../hooks/useFormSubmit.ts';

type Verdict = GetOk<'/api/v1/admin/audit/verify'>;

export default function Audit() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const { busy, error, run } = useAction();
  const recent = useQuery({
    queryKey: ['admin-audit'],
    queryFn: async () => must(await api.GET('/api/v1/admin/audit', { params: { query: { limit: 30 } } })),
  });

  const verify = () =>
    run(async () => {
      setVerdict(must(await api.GET('/api/v1/admin/audit/verify')));
    });

  return (
    <section>
      <h1>{t('audit.title')}</h1>
      <AdminTabs />
      <div className="card">
        <p>{t('audit.help')}</p>
        <button type="button" className="primary" disabled={busy} onClick={() => void verify()}>
          {busy ? t('audit.checking') : t('audit.verify')}
        </button>
        {verdict !== null ? (
          <div role="status" data-testid="audit-verdict" className={verdict.ok ? 'verdict ok-box' : 'verdict bad-box'}>
            <p className={verdict.ok ? 'ok' : 'error'}>
              {verdict.ok ? t('audit.intact') : t('audit.broken', { seq: digits(verdict.first_bad_seq ?? 0, lang) })}
            </p>
            {verdict.problem !== null ? <p>{verdict.problem}</p> : null}
            <p className="muted">
              {t('audit.checked', { n: digits(verdict.checked_rows, lang) })}
              {verdict.pending_rows > 0 ? ` · ${t('audit.pending', { n: digits(verdict.pending_rows, lang) })}` : ''}
            </p>
          </div>
        ) : null}
        <ErrorText error={error} />
      </div>
      <h2>{t('audit.latest')}</h2>
      <div className="scroll-x" tabIndex={0} role="region" aria-label={t('audit.latest')}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t('audit.when')}</th>
              <th scope="col">{t('audit.who')}</th>
              <th scope="col">{t('audit.what')}</th>
            </tr>
          </thead>
          <tbody>
            {(recent.data?.items ?? []).map((r) => (
              <tr key={r.seq}>
                <td>{digits(r.seq, lang)}</td>
                <td>
                  {date(r.created_at, lang, t)} {clock(r.created_at, zone, lang)}
                </td>
                <td>
                  {r.actor_role === 'patient' || r.actor_role === 'doctor' || r.actor_role === 'admin'
                    ? t(`role.${r.actor_role}`)
                    : t('privacy.system')}
                </td>
                <td>
                  <code>{r.action}</code>
                  {r.table_name !== null ? ` · ${r.table_name}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * The assistant (Premium): my conversations, and one conversation (Conversation.tsx: its
 * messages, a question answered as it streams). Free users see what Premium offers, not an error.
 */
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { ErrorText } from '../../components/Field.tsx';
import { Upsell } from '../../components/Upsell.tsx';
import { useSubscription } from '../../subscription.ts';
import { date } from '../../format.ts';
import { AiTabs } from './AiTabs.tsx';
import { Conversation } from './Conversation.tsx';

export default function Assistant() {
  const { id } = useParams();
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const sub = useSubscription();
  const premium = sub.data?.tier === 'premium';
  const list = useQuery({
    queryKey: ['ai-conversations'],
    queryFn: async () => must(await api.GET('/api/v1/ai/conversations', { params: { query: { limit: 50 } } })),
    enabled: premium,
  });
  const [share, setShare] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function start() {
    setError(null);
    try {
      const lang = (['km', 'en', 'fr'] as const).find((l) => l === i18n.language) ?? 'km';
      const c = must(await api.POST('/api/v1/ai/conversations', { body: { language: lang, share_record: share } }));
      await client.invalidateQueries({ queryKey: ['ai-conversations'] });
      navigate(`/assistant/${c.id}`);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section>
      <h1>{t('assistant.title')}</h1>
      <AiTabs />
      {sub.data === undefined ? (
        <p className="muted">{t('common.loading')}</p>
      ) : !premium ? (
        <Upsell feature="assistant" />
      ) : (
        <div className="assistant-layout">
          <aside className="conversations">
            <button type="button" className="primary" onClick={() => void start()}>
              {t('assistant.new')}
            </button>
            <label className="check">
              <input type="checkbox" checked={share} onChange={(e) => setShare(e.currentTarget.checked)} />{' '}
              {t('assistant.share')}
            </label>
            <ErrorText error={error} />
            <h2>{t('assistant.conversations')}</h2>
            {list.isSuccess && list.data.items.length === 0 ? (
              <p className="muted">{t('assistant.noConversation')}</p>
            ) : null}
            <ul className="list">
              {(list.data?.items ?? []).map((c) => (
                <li key={c.id} className={c.id === id ? 'current' : ''}>
                  <Link to={`/assistant/${c.id}`} aria-current={c.id === id ? 'page' : undefined}>
                    {c.title ?? t('assistant.untitled')}
                  </Link>
                  <div className="muted">{date(c.last_message_at ?? c.created_at, i18n.language, t)}</div>
                </li>
              ))}
            </ul>
          </aside>
          {id !== undefined ? <Conversation key={id} id={id} /> : <p className="muted">{t('assistant.pick')}</p>}
        </div>
      )}
    </section>
  );
}

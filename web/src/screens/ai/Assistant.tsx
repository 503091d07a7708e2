/**
 * The assistant (Premium): my conversations, one conversation's messages, a question answered
 * as it streams (server-sent events). Every answer carries its disclaimer; an emergency answer
 * (call 119) is shown first and prominently. Free users see what Premium offers, not an error.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../api/client.ts';
import { postEventStream } from '../../api/event-stream.ts';
import { ErrorText } from '../../components/Field.tsx';
import { Upsell } from '../../components/Upsell.tsx';
import { useSubscription } from '../../subscription.ts';
import { date } from '../../format.ts';
import { AiTabs } from './AiTabs.tsx';

interface Answer {
  content: string;
  disclaimer?: string;
  guard?: string;
  refused?: boolean;
}
interface DoneMessage {
  id: string;
  content: string;
  disclaimer: string;
  guard?: string;
  refused?: boolean;
}

function AnswerView({ a, testId }: { a: Answer; testId?: string }) {
  const { t } = useTranslation();
  const emergency = a.guard === 'emergency';
  return (
    <div
      className={emergency ? 'bubble assistant emergency' : 'bubble assistant'}
      data-testid={testId}
      role={emergency ? 'alert' : undefined}
    >
      {emergency ? (
        <p className="emergency-call">
          <a href="tel:119">{t('assistant.call119')}</a>
        </p>
      ) : null}
      <div className="pre">{a.content}</div>
      {a.refused === true && !emergency ? <p className="muted">{t('assistant.refused')}</p> : null}
      <p className="disclaimer" data-testid="disclaimer">
        {a.disclaimer ?? t('assistant.disclaimer')}
      </p>
    </div>
  );
}

function Conversation({ id }: { id: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const messages = useQuery({
    queryKey: ['ai-messages', id],
    queryFn: async () => must(await api.GET('/api/v1/ai/conversations/{id}/messages', { params: { path: { id } } })),
  });
  // What the stored messages do not keep: each fresh answer's disclaimer and guard.
  const [extras, setExtras] = useState<Record<string, DoneMessage>>({});
  const [live, setLive] = useState<{ question: string; answer: string } | null>(null);
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // braces: scroll methods may return a promise, which must not become the effect's clean-up
    void end.current?.scrollIntoView({ block: 'end' });
  }, [messages.data, live]);

  async function ask(e: FormEvent) {
    e.preventDefault();
    const question = text.trim();
    if (question === '' || live !== null) return;
    setError(null);
    setLive({ question, answer: '' });
    setText('');
    try {
      await postEventStream(`/api/v1/ai/conversations/${id}/messages`, { content: question }, (ev) => {
        const data = ev.data as { text?: string; message?: DoneMessage; code?: string };
        if (ev.event === 'delta') setLive((l) => (l === null ? l : { ...l, answer: l.answer + (data.text ?? '') }));
        else if (ev.event === 'replace') setLive((l) => (l === null ? l : { ...l, answer: data.text ?? '' }));
        else if (ev.event === 'done' && data.message !== undefined) {
          const m = data.message;
          setExtras((x) => ({ ...x, [m.id]: m }));
        } else if (ev.event === 'error') setError(new Error(t('assistant.failed')));
      });
      await client.invalidateQueries({ queryKey: ['ai-messages', id] });
      await client.invalidateQueries({ queryKey: ['ai-conversations'] });
    } catch (err) {
      setError(err);
      setText(question);
    } finally {
      setLive(null);
    }
  }

  const items = messages.data?.items ?? [];
  return (
    <div className="chat">
      <p className="note" data-testid="assistant-disclaimer">
        {t('assistant.disclaimer')}
      </p>
      <div className="messages" aria-live="polite">
        {messages.isSuccess && items.length === 0 && live === null ? (
          <p className="muted">{t('assistant.examples')}</p>
        ) : null}
        {items.map((m) =>
          m.role === 'user' ? (
            <div key={m.id} className="bubble user">
              {m.content}
            </div>
          ) : (
            <AnswerView
              key={m.id}
              testId="answer"
              a={{
                content: m.content,
                refused: m.refused,
                ...(extras[m.id] !== undefined
                  ? { disclaimer: extras[m.id]?.disclaimer, guard: extras[m.id]?.guard }
                  : {}),
              }}
            />
          ),
        )}
        {live !== null ? (
          <>
            <div className="bubble user">{live.question}</div>
            <div className="bubble assistant" aria-busy="true">
              <div className="pre">{live.answer === '' ? t('assistant.thinking') : live.answer}</div>
            </div>
          </>
        ) : null}
        <div ref={end} />
      </div>
      <form onSubmit={ask} className="ask">
        <label htmlFor="ask">{t('assistant.ask')}</label>
        <textarea id="ask" rows={2} maxLength={2000} value={text} onChange={(e) => setText(e.currentTarget.value)} />
        <ErrorText error={error} />
        <button className="primary" disabled={text.trim() === '' || live !== null}>
          {t('assistant.send')}
        </button>
      </form>
    </div>
  );
}

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

/**
 * One conversation with the assistant: its messages, and a question answered as it streams
 * (server-sent events). Every answer carries its disclaimer; an emergency answer (call 119) is
 * shown first and prominently.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must, type GetOk } from '../../api/client.ts';
import { postEventStream } from '../../api/event-stream.ts';
import { ErrorText } from '../../components/Field.tsx';

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
type Message = GetOk<'/api/v1/ai/conversations/{id}/messages'>['items'][number];
/** The question asked and the answer so far, while it streams. */
type Live = { question: string; answer: string } | null;

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

/** Asks a question and streams its answer into `live`; each fresh answer's disclaimer and guard kept in `extras`. */
function useAsk(id: string) {
  const { t } = useTranslation();
  const client = useQueryClient();
  // What the stored messages do not keep: each fresh answer's disclaimer and guard.
  const [extras, setExtras] = useState<Record<string, DoneMessage>>({});
  const [live, setLive] = useState<Live>(null);
  const [error, setError] = useState<unknown>(null);
  /** false when the question was not sent through (to put it back in the box) */
  async function ask(question: string): Promise<boolean> {
    setError(null);
    setLive({ question, answer: '' });
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
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setLive(null);
    }
  }
  return { extras, live, error, ask };
}

function MessageView({ m, extra }: { m: Message; extra: DoneMessage | undefined }) {
  if (m.role === 'user') return <div className="bubble user">{m.content}</div>;
  return (
    <AnswerView
      testId="answer"
      a={{
        content: m.content,
        refused: m.refused,
        ...(extra !== undefined ? { disclaimer: extra.disclaimer, guard: extra.guard } : {}),
      }}
    />
  );
}

function LiveAnswer({ live }: { live: NonNullable<Live> }) {
  const { t } = useTranslation();
  return (
    <>
      <div className="bubble user">{live.question}</div>
      <div className="bubble assistant" aria-busy="true">
        <div className="pre">{live.answer === '' ? t('assistant.thinking') : live.answer}</div>
      </div>
    </>
  );
}

export function Conversation({ id }: { id: string }) {
  const { t } = useTranslation();
  const messages = useQuery({
    queryKey: ['ai-messages', id],
    queryFn: async () => must(await api.GET('/api/v1/ai/conversations/{id}/messages', { params: { path: { id } } })),
  });
  const { extras, live, error, ask } = useAsk(id);
  const [text, setText] = useState('');
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // braces: scroll methods may return a promise, which must not become the effect's clean-up
    void end.current?.scrollIntoView({ block: 'end' });
  }, [messages.data, live]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const question = text.trim();
    if (question === '' || live !== null) return;
    setText('');
    if (!(await ask(question))) setText(question);
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
        {items.map((m) => (
          <MessageView key={m.id} m={m} extra={extras[m.id]} />
        ))}
        {live !== null ? <LiveAnswer live={live} /> : null}
        <div ref={end} />
      </div>
      <form onSubmit={submit} className="ask">
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

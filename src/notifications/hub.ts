/**
 * Live notifications across server processes: one LISTEN connection per process on the
 * channel `dastern_notifications` (an AFTER INSERT trigger on notifications NOTIFYs with the
 * row's id and owner only — never its text). Subscribers are the open SSE streams of this
 * process; each fetches the row itself under its own user's RLS context.
 * The connection reconnects with back-off if the database restarts.
 */
import pg from 'pg';
import type { Logger } from '../log.ts';

export const NOTIFY_CHANNEL = 'dastern_notifications';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type NotificationListener = (notificationId: string) => void;

export class NotificationHub {
  private client: pg.Client | undefined;
  private readonly subscribers = new Map<string, Set<NotificationListener>>();
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  start(): Promise<void> {
    this.ready ??= this.connect();
    return this.ready;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'notification listener lost its connection');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel !== NOTIFY_CHANNEL || msg.payload === undefined) return;
      this.dispatch(msg.payload);
    });
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    if (this.stopped) {
      await client.end();
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.retry(1000);
  }

  private retry(delay: number): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.stopped) return;
      this.connect().catch((err: unknown) => {
        this.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'notification listener reconnect failed',
        );
        this.retry(Math.min(delay * 2, 30_000));
      });
    }, delay);
    this.retryTimer.unref();
  }

  private dispatch(payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    const { user_id: userId, id } = (parsed ?? {}) as { user_id?: unknown; id?: unknown };
    if (typeof userId !== 'string' || typeof id !== 'string' || !UUID.test(id)) return;
    for (const listener of this.subscribers.get(userId) ?? []) {
      try {
        listener(id);
      } catch (err) {
        this.logger.warn({ err }, 'notification subscriber failed');
      }
    }
  }

  subscribe(userId: string, listener: NotificationListener): () => void {
    let set = this.subscribers.get(userId);
    if (set === undefined) {
      set = new Set();
      this.subscribers.set(userId, set);
    }
    set.add(listener);
    return () => {
      const s = this.subscribers.get(userId);
      s?.delete(listener);
      if (s?.size === 0) this.subscribers.delete(userId);
    };
  }

  get subscriberCount(): number {
    let n = 0;
    for (const s of this.subscribers.values()) n += s.size;
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

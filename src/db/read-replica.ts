/**
 * Reads from a streaming replica (DATABASE_READ_URL) where a slightly stale answer is safe
 * (lists, statistics), with read-your-own-writes for the writer:
 *  - after a write the API hands out the primary's WAL position (`pg_current_wal_lsn()`, in
 *    the `x-dastern-lsn` header and a short-lived cookie, and remembered per session in this
 *    process); a read that carries one (header `x-dastern-min-lsn`, the cookie, or the memory)
 *    goes to the replica only once its `pg_last_wal_replay_lsn()` has reached it, else to the
 *    primary;
 *  - an audit row deferred by a read (Tx.defer) is written on the primary, after the replica's
 *    transaction and before the answer leaves (a replica is read-only);
 *  - a replica that is down, refuses the session check (a session newer than its replay) or
 *    cancels a query for a recovery conflict is passed over: the read runs on the primary.
 * Everything else (writes, single resources, sessions) stays on the primary (`db`).
 */
import type { Actor, Database, RequestMeta, Tx } from './database.ts';

/** A WAL position "X/Y" as a number (both halves are 32-bit hex). */
export function lsnValue(lsn: string): bigint | undefined {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!m) return undefined;
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

class RefusedOnReplica extends Error {}

/** Errors after which the read is tried again on the primary. */
function replicaUnfit(err: unknown): boolean {
  if (err instanceof RefusedOnReplica) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  // connection refused/reset, admin shutdown, cannot connect now, recovery conflict, read-only
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03', '40001', '25006'].includes(
      code,
    ) || code.startsWith('08')
  );
}

export interface ReadCounters {
  replica: number;
  primary: number;
}

export class ReadReplica {
  /** The highest replay position seen on the replica (it only grows). */
  private replayed = 0n;
  /** Reads served by each side, for /metrics and the tests. */
  readonly served: ReadCounters = { replica: 0, primary: 0 };

  constructor(
    readonly primary: Database,
    readonly replica: Database,
  ) {}

  /** Has the replica replayed up to `lsn`? (A server not in recovery answers NULL: it is a primary, up to date.) */
  async caughtUp(lsn: bigint): Promise<boolean> {
    if (this.replayed >= lsn) return true;
    const res = await this.replica.pool.query<{ lsn: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
    const at = res.rows[0]?.lsn;
    if (at === null || at === undefined) return true;
    const v = lsnValue(at) ?? 0n;
    if (v > this.replayed) this.replayed = v;
    return v >= lsn;
  }

  /** As Database.withUser, on the replica when it has caught up with `minLsn` (if any). */
  async withUser<T>(actor: Actor, fn: (tx: Tx) => Promise<T>, meta: RequestMeta = {}, minLsn?: bigint): Promise<T> {
    let fit: boolean;
    try {
      fit = minLsn === undefined || (await this.caughtUp(minLsn));
    } catch (err) {
      if (!replicaUnfit(err)) throw err;
      fit = false;
    }
    if (!fit) return this.onPrimary(actor, fn, meta);
    const deferred: Array<{ text: string; values: readonly unknown[] | undefined }> = [];
    let result: T;
    try {
      const pre = meta.precondition;
      result = await this.replica.withUser(
        actor,
        (tx) =>
          fn({
            actor: tx.actor,
            query: (text, values) => tx.query(text, values),
            defer: (text, values) => {
              deferred.push({ text, values });
            },
          }),
        pre === undefined
          ? meta
          : { ...meta, precondition: { ...pre, refuse: () => new RefusedOnReplica('refused on the replica') } },
      );
    } catch (err) {
      if (!replicaUnfit(err)) throw err;
      return this.onPrimary(actor, fn, meta);
    }
    if (deferred.length > 0) {
      await this.primary.withUser(
        actor,
        async (tx) => {
          for (const d of deferred) await tx.query(d.text, d.values);
        },
        { ip: meta.ip, userAgent: meta.userAgent },
      );
    }
    this.served.replica++;
    return result;
  }

  private onPrimary<T>(actor: Actor, fn: (tx: Tx) => Promise<T>, meta: RequestMeta): Promise<T> {
    this.served.primary++;
    return this.primary.withUser(actor, fn, meta);
  }

  /** The primary's current WAL position, handed to the writer after a write. */
  async primaryLsn(): Promise<string> {
    const res = await this.primary.pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return res.rows[0]!.lsn;
  }
}

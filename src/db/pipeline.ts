/**
 * Pipelining, narrowly: a pg client that owns its socket (handed to pg through the public
 * `stream` option, so nothing reaches into pg's private fields) and `sendTogether()`, which
 * issues several queries with that socket corked so that they leave in one write — one system
 * call and one wake-up of the server process instead of one per query. pg itself runs in
 * pipeline mode (`pipeline: true`): each query is sent at once, without waiting for the
 * previous answer; the answers come back in order.
 *
 * `namedStatement()` gives a parameterised statement a stable name, so that each connection
 * parses and plans it once and then only binds and executes it.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';

/** A pg client whose socket is its own (created here, given to pg as its stream). */
export class PipelinedClient extends pg.Client {
  readonly socket: net.Socket;

  constructor(config?: string | pg.ClientConfig) {
    const socket = new net.Socket();
    const base: pg.ClientConfig = typeof config === 'string' ? { connectionString: config } : (config ?? {});
    super({ ...base, stream: () => socket, pipeline: true } as pg.ClientConfig);
    this.socket = socket;
  }
}

/**
 * Issues the queries `issue` starts (each sent at once in pipeline mode) in one socket write.
 * Works with any client; only a PipelinedClient's writes are merged (others send one write per
 * query, as pg does by itself).
 */
export function sendTogether<T>(client: pg.ClientBase, issue: () => T): T {
  const socket = client instanceof PipelinedClient ? client.socket : undefined;
  socket?.cork();
  try {
    return issue();
  } finally {
    socket?.uncork();
  }
}

const names = new Map<string, string>();
const MAX_NAMES = 2000;

/**
 * The query config for `text` with `values`: named (prepared once per connection) when it has
 * parameters; a query without parameters stays on the simple protocol (it may hold several
 * statements, which a prepared statement cannot). The name is a hash of the text, so the same
 * text always gets the same name and two texts never share one. Beyond MAX_NAMES distinct texts
 * (SQL built at run time) queries stay unnamed: a connection keeps every statement it prepared.
 */
export function namedStatement(
  text: string,
  values: readonly unknown[] | undefined,
  prepare = true,
): pg.QueryConfig<unknown[]> {
  if (values === undefined || values.length === 0) return { text };
  // Behind a transaction pooler that does not track prepared statements (PgBouncer before 1.21),
  // a name prepared on one server connection is unknown, or already taken, on the next.
  if (!prepare) return { text, values: values as unknown[] };
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= MAX_NAMES) return { text, values: values as unknown[] };
    name = `dt_${createHash('sha1').update(text).digest('base64url')}`;
    names.set(text, name);
  }
  return { name, text, values: values as unknown[] };
}

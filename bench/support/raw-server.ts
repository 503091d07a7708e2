/**
 * The raw line of `npm run bench:api`: the route's own SQL through `pg` alone (DasTern's Database,
 * pool of 20, the same pipelining and prepared statements), behind a bare node:http server in a
 * process of its own, so that it is compared with the API on the same footing: a separate
 * process, the same client (autocannon over HTTP), the same tokens verified by the same
 * TokenService, the rows written out as JSON. What it leaves out is what a framework adds:
 * routing, schemas, hooks, logging, error mapping.
 *
 *   GET /me                      the session check and the profile query
 *   GET /prescriptions           the session check, the list (20 with medications), the audit row
 *   GET /prescriptions?audit=0   the same without the audit row
 *
 *   PG_URL (dastern_app's URL)  PORT  DASTERN_JWT_SECRET
 * Prints "listening" on stdout when it serves.
 */
import http from 'node:http';
import { peerEnv } from './peer-env.ts';
import { LIVE_SESSION_CHECK } from '../../src/auth/queries.ts';
import { Database, type Tx } from '../../src/db/database.ts';
import { profile } from '../../src/users/queries.ts';
import { listPrescriptions } from '../../src/prescriptions/queries.ts';
import { recordReads } from '../../src/audit/service.ts';

const { url, port, tokens } = peerEnv();
const db = new Database(url, { max: 20 });

// readOnly as the API's: its lists run through Services.runRead (src/http/auth.ts), /me does not
const work: Record<string, { readOnly: boolean; fn: (tx: Tx, userId: string, audit: boolean) => Promise<unknown> }> = {
  '/me': { readOnly: false, fn: (tx, id) => profile(tx, id) },
  '/prescriptions': {
    readOnly: true,
    fn: async (tx, id, audit) => {
      const page = await listPrescriptions(tx, { patientId: id, limit: 20, offset: 0 });
      if (audit) await recordReads(tx, { requestId: 'bench-raw' }, 'prescriptions', page.rows);
      return page;
    },
  },
};

const server = http.createServer((req, res) => {
  const [path, query = ''] = (req.url ?? '').split('?');
  const run = work[path ?? ''];
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  if (run === undefined || m === null) {
    res.writeHead(run === undefined ? 404 : 401).end();
    return;
  }
  const audit = !query.includes('audit=0');
  (async () => {
    const claims = await tokens.verifyAccess(m[1] as string);
    const body = await db.withUser(
      { userId: claims.userId, role: claims.role },
      (tx) => run.fn(tx, claims.userId, audit),
      {
        readOnly: run.readOnly,
        precondition: {
          text: LIVE_SESSION_CHECK, // the API's own (src/http/auth.ts)
          values: [claims.sessionId, claims.userId],
          refuse: () => new Error('session ended'),
        },
      },
    );
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  })().catch(() => {
    if (!res.headersSent) res.writeHead(500).end();
  });
});
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));

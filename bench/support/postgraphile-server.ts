/**
 * The peer line of `npm run bench:api`: PostGraphile 4.14.1 (5.x needs Node 22) serving the same
 * database as DasTern, in its own process, as the same restricted role (dastern_app, under RLS),
 * with a pool of 20. The bearer token is verified by DasTern's own TokenService (same tokens) and
 * becomes the same RLS context through pgSettings (app.user_id, app.user_role). It does not check
 * the session row nor write an audit row: both are DasTern's extra work.
 *
 *   PG_URL (dastern_app's URL)  PORT  DASTERN_JWT_SECRET
 * Prints "listening" on stdout when it serves.
 */
import http from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { peerEnv } from './peer-env.ts';

const { url, port, tokens } = peerEnv();
const pool = new pg.Pool({ connectionString: url, max: 20 });
pool.on('error', () => undefined);

/** Thrown by pgSettings: PostGraphile answers it as a GraphQL error with this status. */
class Unauthorized extends Error {
  readonly status = 401;
}

const handler = postgraphile(pool, 'public', {
  graphiql: false,
  disableQueryLog: true,
  disableDefaultMutations: true,
  dynamicJson: true,
  ignoreRBAC: false,
  setofFunctionsContainNulls: false,
  pgSettings: async (req) => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (m === null) throw new Unauthorized('no bearer token');
    const claims = await tokens.verifyAccess(m[1] as string);
    return { 'app.user_id': claims.userId, 'app.user_role': claims.role };
  },
});

http.createServer(handler).listen(port, '127.0.0.1', () => {
  process.stdout.write('listening\n');
});

/**
 * What the peer servers of `npm run bench:api` (raw-server.ts, postgraphile-server.ts) are given:
 * PG_URL (dastern_app's URL), PORT and DASTERN_JWT_SECRET, and DasTern's own TokenService over
 * that secret, so every line verifies the same tokens.
 */
import { TokenService } from '../../src/auth/tokens.ts';

export interface PeerEnv {
  url: string;
  port: number;
  tokens: TokenService;
}

export function peerEnv(): PeerEnv {
  const url = process.env.PG_URL;
  const port = Number(process.env.PORT);
  const secret = process.env.DASTERN_JWT_SECRET;
  if (url === undefined || !Number.isInteger(port) || secret === undefined)
    throw new Error('PG_URL, PORT and DASTERN_JWT_SECRET are required');
  return { url, port, tokens: new TokenService(secret, 3600) };
}

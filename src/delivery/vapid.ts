/**
 * The VAPID key pair that identifies this server to the browsers' push services:
 * DASTERN_VAPID_PUBLIC_KEY / DASTERN_VAPID_PRIVATE_KEY, or (development and test only) a pair
 * generated once into DASTERN_DATA_DIR/secrets/vapid.json. Production refuses to start without
 * explicit keys (config.ts): a key that changes invalidates every browser's subscription.
 */
import fs from 'node:fs';
import path from 'node:path';
import webpush from 'web-push';
import { ConfigError, type Config } from '../config.ts';

export interface VapidDetails {
  subject: string;
  publicKey: string;
  privateKey: string;
}

function isKeyPair(v: unknown): v is { publicKey: string; privateKey: string } {
  const o = v as { publicKey?: unknown; privateKey?: unknown } | null;
  return typeof o === 'object' && o !== null && typeof o.publicKey === 'string' && typeof o.privateKey === 'string';
}

export function resolveVapid(config: Config): VapidDetails {
  const { vapidPublicKey, vapidPrivateKey, vapidSubject } = config.push;
  if (vapidPublicKey !== undefined && vapidPrivateKey !== undefined) {
    return { subject: vapidSubject, publicKey: vapidPublicKey, privateKey: vapidPrivateKey };
  }
  if (config.env === 'production')
    throw new ConfigError('production needs DASTERN_VAPID_PUBLIC_KEY and DASTERN_VAPID_PRIVATE_KEY');
  const dir = path.join(config.dataDir, 'secrets');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'vapid.json');
  if (!fs.existsSync(file)) {
    try {
      fs.writeFileSync(file, JSON.stringify(webpush.generateVAPIDKeys()), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process wrote it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const stored: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!isKeyPair(stored)) throw new ConfigError(`${file} is not a VAPID key pair: delete it to generate a new one`);
  return { subject: vapidSubject, publicKey: stored.publicKey, privateKey: stored.privateKey };
}

/** VAPID keys and delivery settings: generated once in development, required in production. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { resolveVapid } from '../../src/delivery/vapid.ts';
import { endpointAllowed } from '../../src/delivery/push.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-vapid-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://u:p@db.example/dastern',
  DASTERN_JWT_SECRET: 'x'.repeat(40),
  DASTERN_SMTP_URL: 'smtp://mail.example:587',
};

describe('VAPID keys', () => {
  it('are generated once per data dir outside production, and kept', () => {
    const config = loadConfig({ NODE_ENV: 'development', DASTERN_DATA_DIR: dir });
    const first = resolveVapid(config);
    expect(first.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(first.subject).toBe('mailto:no-reply@dastern.local');
    expect(resolveVapid(config)).toEqual(first);
    expect(fs.statSync(path.join(dir, 'secrets', 'vapid.json')).mode & 0o777).toBe(0o600);
  });

  it('production refuses to start without them, and takes them from the environment', () => {
    expect(() => loadConfig(production)).toThrow(ConfigError);
    const keys = webpush.generateVAPIDKeys();
    const env = { ...production, DASTERN_VAPID_PUBLIC_KEY: keys.publicKey, DASTERN_VAPID_PRIVATE_KEY: keys.privateKey };
    expect(() => loadConfig(env)).toThrow(/DASTERN_VAPID_SUBJECT/);
    const config = loadConfig({ ...env, DASTERN_VAPID_SUBJECT: 'https://dastern.example/contact' });
    expect(resolveVapid(config)).toEqual({ subject: 'https://dastern.example/contact', ...keys });
    expect(config.push.endpointHosts).toContain('fcm.googleapis.com');
    expect(() => loadConfig({ ...env, DASTERN_VAPID_PRIVATE_KEY: '' })).toThrow(/go together/);
    expect(() => loadConfig({ ...env, DASTERN_VAPID_SUBJECT: 'ops@dastern.example' })).toThrow(/mailto: or https:/);
  });
});

describe('push endpoints', () => {
  it('must be https on an allowed host (or a sub-domain of one)', () => {
    const hosts = ['push.services.mozilla.com', 'notify.windows.com'];
    expect(endpointAllowed('https://updates.push.services.mozilla.com/wpush/v2/x', hosts)).toBe(true);
    expect(endpointAllowed('https://wns2-par02p.notify.windows.com/w/?token=x', hosts)).toBe(true);
    expect(endpointAllowed('https://evilpush.services.mozilla.com.attacker.example/x', hosts)).toBe(false);
    expect(endpointAllowed('https://127.0.0.1:8443/x', hosts)).toBe(false);
    expect(endpointAllowed('http://updates.push.services.mozilla.com/x', ['*'])).toBe(false);
    // `*` allows any host, never an address inside our network (test/delivery/push.test.ts)
    expect(endpointAllowed('https://127.0.0.1:8443/x', ['*'])).toBe(false);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore, FileStoreError } from '../../src/files/store.ts';
import { loadFileKey } from '../../src/files/key.ts';
import { loadConfig } from '../../src/config.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-files-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('encrypted file store', () => {
  const store = new FileStore(root, randomBytes(32));

  it('round-trips bytes and never stores them in clear', async () => {
    const photo = Buffer.concat([
      Buffer.from('\x89PNG\r\n\x1a\n', 'binary'),
      Buffer.from('Paracetamol 500mg patient Sok Dara'),
    ]);
    const stored = await store.put(photo);
    expect(stored.size).toBe(photo.length);
    expect(stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    const raw = fs.readFileSync(path.join(root, stored.location));
    expect(raw.includes(Buffer.from('Paracetamol'))).toBe(false);
    expect(await store.get(stored.location)).toEqual(photo);
  });

  it('detects a tampered file', async () => {
    const stored = await store.put(Buffer.from('dose: 1 tablet'));
    const file = path.join(root, stored.location);
    const raw = fs.readFileSync(file);
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 0xff;
    fs.writeFileSync(file, raw);
    await expect(store.get(stored.location)).rejects.toBeInstanceOf(FileStoreError);
  });

  it('refuses another key', async () => {
    const stored = await store.put(Buffer.from('secret'));
    const other = new FileStore(root, randomBytes(32));
    await expect(other.get(stored.location)).rejects.toThrow(/integrity/);
  });

  it('refuses locations that escape the store', async () => {
    await expect(store.get('../../etc/passwd')).rejects.toThrow(/invalid file location/);
    await expect(store.get('2026/11/not-a-uuid.bin')).rejects.toThrow(/invalid file location/);
  });
});

describe('file key', () => {
  it('is generated once in development and reused', () => {
    const config = { ...loadConfig({}), dataDir: root };
    const a = loadFileKey(config, {});
    const b = loadFileKey(config, {});
    expect(a.length).toBe(32);
    expect(b).toEqual(a);
  });

  it('is required in production', () => {
    const config = { ...loadConfig({}), env: 'production' as const, dataDir: root };
    expect(() => loadFileKey(config, {})).toThrow(/DASTERN_FILE_KEY/);
    expect(loadFileKey(config, { DASTERN_FILE_KEY: randomBytes(32).toString('base64') }).length).toBe(32);
    expect(() => loadFileKey(config, { DASTERN_FILE_KEY: 'c2hvcnQ=' })).toThrow(/32 random bytes/);
  });
});

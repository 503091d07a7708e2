/**
 * Upload abuse through POST /prescriptions: extra parts, fields, a pixel bomb, and work done
 * for someone who may not upload (ended session, full free tier).
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { useFlowApi, type FlowHarness } from '../prescriptions/support.ts';
import type { ReaderPort } from '../../src/prescriptions/reading-job.ts';
import { uniqueEmail } from '../support/api.ts';

const never: ReaderPort = { read: () => new Promise(() => undefined) };
const h = useFlowApi({ reader: () => never });
let png: Buffer;

beforeAll(async () => {
  png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
});

async function patient(x: FlowHarness): Promise<{ id: string; token: string }> {
  const res = await x.call('POST', '/auth/register', {
    body: {
      email: uniqueEmail('p'),
      password: 'correct horse 42 battery',
      role: 'patient',
      first_name: 'A',
      last_name: 'B',
    },
  });
  const b = res.json<{ user: { id: string }; access_token: string }>();
  return { id: b.user.id, token: b.access_token };
}

const B = 'dasternSecurityBoundary';
const filePart = (name: string, bytes: Buffer) =>
  Buffer.concat([
    Buffer.from(
      `--${B}\r\nContent-Disposition: form-data; name="${name}"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
    ),
    bytes,
    Buffer.from('\r\n'),
  ]);
const fieldPart = (name: string, value: string) =>
  Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
const END = Buffer.from(`--${B}--\r\n`);

function send(x: FlowHarness, token: string, ...parts: Buffer[]) {
  return x.app.inject({
    method: 'POST',
    url: '/api/v1/prescriptions',
    payload: Buffer.concat([...parts, END]),
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${B}` },
  });
}

async function count(x: FlowHarness, id: string): Promise<number> {
  return (
    await x.t.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM prescriptions WHERE patient_id = $1', [id])
  ).rows[0]!.n;
}

describe('multipart', () => {
  it('refuses a second file or any field next to the image — nothing is stored', async () => {
    const x = h();
    const p = await patient(x);
    const two = await send(x, p.token, filePart('image', png), filePart('image', randomBytes(200_000)));
    expect(two.statusCode).toBe(400);
    expect(two.json<{ code: string }>().code).toBe('one_image_only');
    const trailing = await send(
      x,
      p.token,
      filePart('image', png),
      ...Array.from({ length: 2000 }, (_, i) => fieldPart(`f${i}`, 'x')),
    );
    expect(trailing.statusCode).toBe(400);
    const leading = await send(x, p.token, fieldPart('note', 'hello'), filePart('image', png));
    expect(leading.statusCode).toBe(400);
    const longName = await send(x, p.token, filePart('i'.repeat(50_000), png));
    expect(longName.statusCode).toBe(400);
    expect(await count(x, p.id)).toBe(0);
    const ok = await send(x, p.token, filePart('image', png));
    expect(ok.statusCode).toBe(202);
    expect(await count(x, p.id)).toBe(1);
  });

  it('a pixel bomb (small file, 49 megapixels) is refused from its header with 413', async () => {
    const x = h();
    const p = await patient(x);
    const bomb = await sharp({ create: { width: 7000, height: 7000, channels: 3, background: '#000000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(1_000_000);
    const res = await send(x, p.token, filePart('image', bomb));
    expect(res.statusCode).toBe(413);
    expect(res.json<{ code: string }>().code).toBe('too_many_pixels');
  }, 60_000);
});

describe('who may upload is checked before the photo is read', () => {
  it('an ended session gets 401, not an image verdict', async () => {
    const x = h();
    const p = await patient(x);
    await x.call('POST', '/auth/logout', { token: p.token });
    const res = await send(x, p.token, filePart('image', Buffer.from('not an image at all')));
    expect(res.statusCode).toBe(401);
    expect(res.json<{ code: string }>().code).toBe('session_revoked');
    // the list (its reads pipelined behind the session check) is refused as well
    const list = await x.call('GET', '/prescriptions?limit=20', { token: p.token });
    expect(list.statusCode).toBe(401);
    expect(list.json<{ code: string }>().code).toBe('session_revoked');
  });

  it('a free patient at her limit gets 402 before her photo is decoded', async () => {
    const x = h();
    const p = await patient(x);
    for (let i = 0; i < 10; i++)
      await x.t.owner.query(
        `INSERT INTO prescriptions (patient_id, uploaded_by, status) VALUES ($1, $1, 'completed')`,
        [p.id],
      );
    const res = await send(x, p.token, filePart('image', Buffer.from('not an image at all')));
    expect(res.statusCode).toBe(402);
    expect(res.json<{ code: string }>().code).toBe('free_tier_limit');
  });
});

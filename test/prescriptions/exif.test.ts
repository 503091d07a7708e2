/**
 * The original photo of a prescription is kept and served without its
 * metadata (EXIF GPS position, device, free text), its orientation applied — to the patient
 * and to her doctor; the stored hash is still the upload's own (duplicate detection).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { useFlowApi, type FlowHarness } from '../prescriptions/support.ts';
import type { ReaderPort } from '../../src/prescriptions/reading-job.ts';
import { hasMetadata } from '../../src/prescriptions/images.ts';
import { uniqueEmail } from '../support/api.ts';

const never: ReaderPort = { read: () => new Promise(() => undefined) };
const h = useFlowApi({ reader: () => never });

async function account(x: FlowHarness, role: 'patient' | 'doctor'): Promise<{ id: string; token: string }> {
  const res = await x.call('POST', '/auth/register', {
    body: { email: uniqueEmail(role), password: 'correct horse 42 battery', role, first_name: 'A', last_name: 'B' },
  });
  const b = res.json<{ user: { id: string }; access_token: string }>();
  if (role === 'doctor')
    await x.t.owner.query('UPDATE users SET doctor_verified_at = now() WHERE id = $1', [b.user.id]); // set-up: a verified doctor
  return { id: b.user.id, token: b.access_token };
}

const B = 'dasternExifBoundary';
function upload(x: FlowHarness, token: string, bytes: Buffer) {
  const payload = Buffer.concat([
    Buffer.from(
      `--${B}\r\nContent-Disposition: form-data; name="image"; filename="rx.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${B}--\r\n`),
  ]);
  return x.app.inject({
    method: 'POST',
    url: '/api/v1/prescriptions',
    payload,
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${B}` },
  });
}

/** A phone photo: 60×40 pixels stored sideways (orientation 6), GPS position, device, a description. */
async function phonePhoto(): Promise<Buffer> {
  return sharp({ create: { width: 60, height: 40, channels: 3, background: '#f0f0f0' } })
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: { Make: 'PhoneMaker', Model: 'Phone X Pro', ImageDescription: 'Dara Sok at home, Street 271' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '11/1 33/1 5/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '104/1 55/1 12/1',
      },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

function noTrace(bytes: Buffer): void {
  const text = bytes.toString('latin1');
  for (const s of ['Exif\0\0', 'PhoneMaker', 'Phone X Pro', 'Dara Sok', 'Street 271'])
    expect(text.includes(s), s).toBe(false);
}

describe('the original photo without metadata', () => {
  it('an uploaded JPEG with GPS EXIF is served to the patient and her doctor without any, upright', async () => {
    const x = h();
    const photo = await phonePhoto();
    // the attack's premise: the photo really carries it
    expect(photo.toString('latin1')).toContain('Dara Sok');
    const sent = await sharp(photo).metadata();
    expect({ exif: sent.exif !== undefined, orientation: sent.orientation }).toEqual({ exif: true, orientation: 6 });
    // the GPS IFD (tag 0x8825) is there
    expect(photo.includes(Buffer.from([0x88, 0x25])) || photo.includes(Buffer.from([0x25, 0x88]))).toBe(true);
    const patient = await account(x, 'patient');
    const doctor = await account(x, 'doctor');
    const inv = (await x.call('POST', '/care/invitations', { token: doctor.token, body: {} })).json<{ code: string }>();
    expect(
      (
        await x.call('POST', '/care/invitations/accept', {
          token: patient.token,
          body: { code: inv.code, permissions: { can_view_prescriptions: true } },
        })
      ).statusCode,
    ).toBe(200);
    const created = await upload(x, patient.token, photo);
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json<{ id: string }>().id;
    for (const token of [patient.token, doctor.token]) {
      const res = await x.call('GET', `/prescriptions/${id}/image`, { token });
      expect(res.statusCode).toBe(200);
      const served = res.rawPayload;
      expect(served.subarray(0, 2).toString('hex')).toBe('ffd8');
      noTrace(served);
      expect(await hasMetadata(served)).toBe(false);
      const meta = await sharp(served).metadata();
      expect(meta.exif).toBeUndefined();
      // orientation 6 applied to the pixels: 40 wide, 60 high
      expect({ width: meta.width, height: meta.height, orientation: meta.orientation ?? 1 }).toEqual({
        width: 40,
        height: 60,
        orientation: 1,
      });
    }
    const row = await x.t.owner.query<{ image_sha256: string }>(
      'SELECT image_sha256 FROM prescriptions WHERE id = $1',
      [id],
    );
    expect(row.rows[0]?.image_sha256).toBe(createHash('sha256').update(photo).digest('hex'));
  });

  it('finds metadata in PNG text chunks too, and keeps a clean photo byte for byte', async () => {
    const clean = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    expect(await hasMetadata(clean)).toBe(false);
    const withText = await sharp(clean)
      .png()
      .withMetadata()
      .withExif({ IFD0: { ImageDescription: 'Dara Sok' } })
      .toBuffer();
    expect(await hasMetadata(withText)).toBe(true);
    const { withoutMetadata } = await import('../../src/prescriptions/images.ts');
    expect((await withoutMetadata(clean)).equals(clean)).toBe(true);
    const stripped = await withoutMetadata(withText);
    expect(await hasMetadata(stripped)).toBe(false);
    expect(stripped.toString('latin1').includes('Dara Sok')).toBe(false);
  });
});

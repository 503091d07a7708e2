/**
 * Bad input: a clear ReadingError or an empty medication list with a reason — never a crash,
 * a hang or an invented medication.
 */
import zlib from 'node:zlib';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeSharedReader,
  createReader,
  readPrescription,
  ReadingError,
  validateImage,
  type PrescriptionReader,
} from '../../src/reading/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const LEXICON = path.join(here, 'fixtures', 'lexicon-small.json');

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** A PNG whose header claims width×height (a decompression bomb needs no real pixels). */
function pngHeader(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    expect(err).toBeInstanceOf(ReadingError);
    return (err as ReadingError).code;
  }
}

describe('validation before decoding (no OCR)', () => {
  it('0 bytes', async () => {
    expect(await codeOf(validateImage(new Uint8Array(0)))).toBe('empty');
  });
  it('a text file', async () => {
    expect(await codeOf(validateImage(Buffer.from('hello, this is not an image\n')))).toBe('unsupported_format');
  });
  it('a PDF says what it is', async () => {
    const err = await validateImage(Buffer.from('%PDF-1.7\n...')).catch((e: unknown) => e);
    expect((err as ReadingError).message).toMatch(/PDF/);
  });
  it('a 100-megapixel bomb is refused from its header', async () => {
    // its pixel data is 1 KB of a 100-megapixel image: decoding it would fail as corrupt, so
    // too_many_pixels can only come from the header (no timing: a busy CI machine is slow)
    expect(await codeOf(validateImage(pngHeader(10_000, 10_000)))).toBe('too_many_pixels');
  });
  it('more than 15 MB', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024);
    big.set([0xff, 0xd8, 0xff]);
    expect(await codeOf(validateImage(big))).toBe('too_large');
  });
  it('a corrupt header', async () => {
    expect(await codeOf(validateImage(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])))).toBe(
      'corrupt_image',
    );
  });
  it('a tiny image', async () => {
    const tiny = await sharp({ create: { width: 50, height: 50, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    expect(await codeOf(validateImage(tiny))).toBe('too_small');
  });
});

describe('reading bad input', () => {
  let reader: PrescriptionReader;
  beforeAll(async () => {
    reader = await createReader({ lexiconPath: LEXICON, workers: 1, logger: { warn: () => undefined } });
  });
  afterAll(async () => {
    await reader.close();
  });

  it('a truncated image is a corrupt_image error', async () => {
    const real = path.resolve(here, '../../../shared/fixtures/prescriptions/ksfh-2025-06-15.png');
    if (!fs.existsSync(real))
      console.log(
        'test/reading/bad-input.test.ts: ../shared absent — the truncated image is a generated page, not the real photo',
      );
    const bytes = fs.existsSync(real)
      ? fs.readFileSync(real)
      : await sharp({ create: { width: 800, height: 1000, channels: 3, background: '#fff' } })
          .png()
          .toBuffer();
    expect(await codeOf(reader.read(bytes.subarray(0, Math.floor(bytes.length / 3))))).toBe('corrupt_image');
  });

  it('the bomb never reaches the decoder', async () => {
    expect(await codeOf(reader.read(pngHeader(12_000, 9_000)))).toBe('too_many_pixels');
  });

  it('a page of plain text: no medication, with a reason', async () => {
    const lines = Array.from(
      { length: 14 },
      (_, i) =>
        `<text x="60" y="${120 + i * 60}" font-family="DejaVu Sans" font-size="30">Line ${i + 1}: the quick brown fox jumps over the lazy dog.</text>`,
    ).join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="1100"><rect width="100%" height="100%" fill="#fff"/>${lines}</svg>`;
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    const r = await reader.read(png);
    expect(r.medications).toEqual([]);
    expect(r.empty_reason).toMatch(/prescription|table/);
    expect(r.raw_text).toMatch(/quick brown fox/);
  });

  it('a photo that is not a prescription (shapes and noise): no medication', async () => {
    const w = 900;
    const h = 1200;
    const raw = Buffer.alloc(w * h * 3);
    let seed = 7;
    for (let i = 0; i < raw.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      raw[i] = 80 + ((i / 3 / w) % 120) + (seed % 40);
    }
    const jpeg = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
      .composite([
        {
          input: Buffer.from(
            `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><circle cx="450" cy="500" r="260" fill="#345"/><rect x="100" y="900" width="700" height="120" fill="#eee"/></svg>`,
          ),
        },
      ])
      .jpeg({ quality: 70 })
      .toBuffer();
    const r = await reader.read(jpeg);
    expect(r.medications).toEqual([]);
    expect(typeof r.empty_reason).toBe('string');
  });

  it('a blank page: no text, no medication', async () => {
    const png = await sharp({ create: { width: 1000, height: 1400, channels: 3, background: '#f4f4f0' } })
      .png()
      .toBuffer();
    const r = await reader.read(png);
    expect(r.medications).toEqual([]);
    expect(r.empty_reason).toMatch(/no text|prescription/);
  });

  it('a stage over its time limit is a timeout error, and the reader still works afterwards', async () => {
    const slow = await createReader({
      lexiconPath: LEXICON,
      workers: 1,
      timeoutsMs: { ocr: 1 },
      logger: { warn: () => undefined },
    });
    try {
      const png = await sharp({ create: { width: 1000, height: 1400, channels: 3, background: '#fff' } })
        .png()
        .toBuffer();
      expect(await codeOf(slow.read(png))).toBe('timeout');
    } finally {
      await slow.close();
    }
  });

  it('a closed reader refuses work', async () => {
    const r = await createReader({ lexiconPath: LEXICON, workers: 1, logger: { warn: () => undefined } });
    await r.close();
    expect(await codeOf(r.read(Buffer.from('x')))).toBe('closed');
  });
});

describe('without the Khmer model', () => {
  it('warns once and falls back to English-only anchors', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-khm-'));
    const warnings: string[] = [];
    const r = await createReader({
      tessdataDir: empty,
      lexiconPath: LEXICON,
      workers: 1,
      logger: { warn: (m) => warnings.push(m) },
    });
    try {
      const img = fs.readFileSync(path.join(here, 'fixtures', 'synth-en-remarks-101.jpg'));
      const res = await r.read(img);
      expect(res.ocr.languages).toEqual(['eng']);
      expect(res.ocr.warnings.join(' ')).toMatch(/khm\.traineddata/);
      expect(res.medications.length).toBeGreaterThan(0);
      await r.read(img);
      expect(warnings.filter((w) => /Khmer/.test(w))).toHaveLength(1);
    } finally {
      await r.close();
    }
  });
});

describe('readPrescription (shared reader)', () => {
  it('reads with a lazily created reader that can be closed', async () => {
    const png = await sharp({ create: { width: 900, height: 1200, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    const r = await readPrescription(png, { lexiconPath: LEXICON, workers: 1, logger: { warn: () => undefined } });
    expect(r.medications).toEqual([]);
    await closeSharedReader();
  });
});

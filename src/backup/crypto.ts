/**
 * Backup files are encrypted at rest with AES-256-GCM (the key: DASTERN_BACKUP_KEY):
 *   "DTB1" | iv (12 bytes) | ciphertext | auth tag (16 bytes)
 * The tag comes last so that a file can be written as one stream (tar → gzip → cipher → disk).
 * Reading checks it when the stream ends: a tampered, truncated or wrongly keyed file fails, and
 * whoever consumed the stream (a restore into a new directory) throws its output away.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Writable, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MAGIC = Buffer.from('DTB1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + IV_BYTES;

export class BackupIntegrityError extends Error {
  override name = 'BackupIntegrityError';
}

export interface WrittenFile {
  /** Bytes on disk. */
  size: number;
  /** SHA-256 of the encrypted file as stored (checked by `backup verify` before decrypting). */
  sha256: string;
}

/** Writes `source` encrypted to `file` (via a temporary name, renamed when complete). */
export async function writeEncrypted(source: Readable, file: string, key: Buffer): Promise<WrittenFile> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const hash = createHash('sha256');
  let size = 0;
  const tmp = `${file}.partial`;
  async function* framed(ciphertext: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    yield Buffer.concat([MAGIC, iv]);
    for await (const chunk of ciphertext) yield chunk;
    yield cipher.getAuthTag(); // available once the cipher has ended
  }
  async function* measured(bytes: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of bytes) {
      size += chunk.length;
      hash.update(chunk);
      yield chunk;
    }
  }
  try {
    await pipeline(source, cipher, framed, measured, fs.createWriteStream(tmp, { mode: 0o600 }));
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.renameSync(tmp, file);
  return { size, sha256: hash.digest('hex') };
}

/** SHA-256 of a file's bytes. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Streams the decrypted content of `file` through `chain` (e.g. gunzip, then a file or tar);
 * fails on a wrong key or any altered byte.
 */
export async function readEncrypted(file: string, key: Buffer, ...chain: [...Duplex[], Writable]): Promise<void> {
  const { size } = fs.statSync(file);
  if (size < HEADER_BYTES + TAG_BYTES) throw new BackupIntegrityError(`${file}: too short to be a backup file`);
  const fd = fs.openSync(file, 'r');
  const header = Buffer.alloc(HEADER_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  try {
    fs.readSync(fd, header, 0, HEADER_BYTES, 0);
    fs.readSync(fd, tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    fs.closeSync(fd);
  }
  if (!header.subarray(0, MAGIC.length).equals(MAGIC))
    throw new BackupIntegrityError(`${file}: not a DasTern backup file`);
  const iv = header.subarray(MAGIC.length);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  try {
    await pipeline([fs.createReadStream(file, { start: HEADER_BYTES, end: size - TAG_BYTES - 1 }), decipher, ...chain]);
  } catch (err) {
    // A wrong key or an altered byte usually trips the consumer (gunzip, tar) before the tag
    // is checked at the end: check the tag alone to say which it was.
    if (!(await tagHolds(file, key, iv, tag, size)))
      throw new BackupIntegrityError(`${file}: fails its integrity check (altered, truncated or another key)`);
    throw err;
  }
}

async function tagHolds(file: string, key: Buffer, iv: Buffer, tag: Buffer, size: number): Promise<boolean> {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  try {
    await pipeline(
      fs.createReadStream(file, { start: HEADER_BYTES, end: size - TAG_BYTES - 1 }),
      decipher,
      new Writable({ write: (_c, _e, done) => done() }),
    );
    return true;
  } catch {
    return false;
  }
}

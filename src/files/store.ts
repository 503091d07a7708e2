/**
 * Encrypted file store for prescription photos and their thumbnails, under
 * DASTERN_DATA_DIR/files. Each file is AES-256-GCM encrypted with a random 96-bit IV:
 *   "DTF1" | iv (12 bytes) | auth tag (16 bytes) | ciphertext
 * A location is a random name (no user data in paths). Reading a tampered file fails.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

const MAGIC = Buffer.from('DTF1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const LOCATION = /^[0-9]{4}\/[0-9]{2}\/[0-9a-f-]{36}\.bin$/;

export interface StoredFile {
  location: string;
  size: number;
  sha256: string;
}

export class FileStoreError extends Error {
  override name = 'FileStoreError';
}

export class FileStore {
  readonly #root: string;
  readonly #key: Buffer;

  constructor(root: string, key: Buffer) {
    if (key.length !== 32) throw new FileStoreError('the file encryption key must be 32 bytes (AES-256)');
    this.#root = path.resolve(root);
    this.#key = key;
  }

  /**
   * Stores bytes encrypted. `identity`: the bytes the sha256 is taken of when what is stored is
   * a cleaned copy of an upload (a photo without its metadata): the upload's own hash, as
   * received, for duplicate detection.
   */
  async put(bytes: Buffer, identity: Buffer = bytes): Promise<StoredFile> {
    const now = new Date();
    const location = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${randomUUID()}.bin`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(bytes), cipher.final()]);
    const file = this.#path(location);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp`;
    await fs.writeFile(tmp, Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]), { mode: 0o600 });
    await fs.rename(tmp, file);
    return { location, size: bytes.length, sha256: createHash('sha256').update(identity).digest('hex') };
  }

  async get(location: string): Promise<Buffer> {
    const data = await fs.readFile(this.#path(location));
    if (data.length < MAGIC.length + IV_BYTES + TAG_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new FileStoreError('stored file is not in the expected format');
    }
    const iv = data.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
    const tag = data.subarray(MAGIC.length + IV_BYTES, MAGIC.length + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(data.subarray(MAGIC.length + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new FileStoreError('stored file failed its integrity check (tampered, or another key)');
    }
  }

  async remove(location: string): Promise<void> {
    await fs.rm(this.#path(location), { force: true });
  }

  #path(location: string): string {
    if (!LOCATION.test(location)) throw new FileStoreError('invalid file location');
    return path.join(this.#root, location);
  }
}

/** Helpers for queue tests: a prescription waiting for its reading, a canned reading, child processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileStore } from '../../src/files/store.ts';
import type { ReadResult } from '../../src/reading/index.ts';
import { createUser, type Queryable } from '../database/fixtures.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A patient's uploaded prescription (status pending) whose photo is in `files`. */
export async function pendingPrescription(db: Queryable, files: FileStore): Promise<{ patientId: string; id: string }> {
  const patientId = await createUser(db);
  const stored = await files.put(Buffer.from('not really a photo: the readers of these tests do not look'));
  const res = await db.query<{ id: string }>(
    `INSERT INTO prescriptions (patient_id, uploaded_by, status, image_path, image_mime_type, image_size_bytes)
     VALUES ($1, $1, 'pending', $2, 'image/png', $3) RETURNING id`,
    [patientId, stored.location, stored.size],
  );
  return { patientId, id: res.rows[0]!.id };
}

export function cannedReading(): ReadResult {
  return {
    hospital_name: 'Calmette Hospital',
    prescription_number: 'T-1',
    prescription_date: '2026-03-01',
    patient: { name: null, age: null, gender: null },
    diagnosis: [],
    department: null,
    prescribing_doctor_name: null,
    medications: [],
    layout: 'table',
    raw_text: 'Calmette Hospital',
    ocr: { engine: 'test', languages: ['eng'], confidence: 0.9, processing_ms: 1, stages_ms: {}, warnings: [] },
  };
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  /** Resolves when stdout has shown `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node [--import tsx] <args>` from the repository root with `env` added to a clean environment. */
export function startChild(args: string[], env: Record<string, string>, options: { tsx?: boolean } = {}): Child {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k] !== undefined) base[k] = process.env[k];
  const proc = spawn(process.execPath, [...(options.tsx ? ['--import', 'tsx'] : []), ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  proc.stderr?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    output: () => out,
    exited,
    async waitForOutput(text, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`child exited before "${text}":\n${out}`);
        if (Date.now() > deadline) throw new Error(`child did not print "${text}" in ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** `dastern worker` as a real process: starts on a migrated database, stops on SIGTERM; refuses what it cannot run on. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { registerWorkerCommand } from '../../src/cli/worker.ts';
import { createEmptyDatabase, useTestDatabase } from '../support/db.ts';
import { startChild } from './support.ts';

const t = useTestDatabase();
let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-worker-cli-'));
});
afterAll(() => {
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
});

const baseEnv = () => ({
  NODE_ENV: 'test',
  DASTERN_DATA_DIR: dir,
  DASTERN_FILE_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'info',
});

describe('dastern worker', () => {
  it('is a registered command', () => {
    const p = new Command('dastern');
    registerWorkerCommand(p);
    expect(p.commands.map((c) => c.name())).toContain('worker');
  });

  it('starts the workers and stops gracefully on SIGTERM', async () => {
    const child = startChild(['bin/dastern.js', 'worker'], {
      ...baseEnv(),
      DATABASE_URL: t().ownerUrl,
      DASTERN_WORKER_DATABASE_URL: t().workerUrl,
    });
    try {
      await child.waitForOutput('DasTern workers started', 40_000);
      child.proc.kill('SIGTERM');
      const exit = await child.exited;
      expect(exit, child.output()).toEqual({ code: 0, signal: null });
      expect(child.output()).toContain('workers shutting down');
    } finally {
      if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
    }
  });

  it('needs DATABASE_URL (the embedded database belongs to dastern serve)', async () => {
    const child = startChild(['bin/dastern.js', 'worker'], baseEnv());
    const exit = await child.exited;
    expect(exit.code).toBe(1);
    expect(child.output()).toContain('dastern worker needs DATABASE_URL');
  });

  it('waits for migrations instead of running them, and says so when they never come', async () => {
    const empty = await createEmptyDatabase();
    try {
      const child = startChild(['bin/dastern.js', 'worker'], {
        ...baseEnv(),
        DATABASE_URL: empty.url,
        DASTERN_WORKER_MIGRATION_WAIT_SECONDS: '0',
      });
      const exit = await child.exited;
      expect(exit.code).toBe(1);
      expect(child.output()).toMatch(/migrations still pending after 0 s \(001_initial_schema/);
    } finally {
      await empty.drop();
    }
  });
});

/** `dastern audit verify`: checks the audit log's hash chain; exit status 1 names the first bad row. */
import type { Command } from 'commander';
import pg from 'pg';
import { commandLogLevel, loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { prepareDatabase } from '../db/bootstrap.ts';
import { verifyChain, type VerifyResult } from '../audit/service.ts';
import { sealAuditChain } from '../audit/sealer.ts';

/**
 * Seals what is committed, then checks, on an owner connection without RLS context
 * (app_audit_verify allows that).
 */
export async function verifyAuditChain(ownerUrl: string): Promise<VerifyResult> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await sealAuditChain(client);
    return await verifyChain(client);
  } finally {
    await client.end();
  }
}

export function formatVerify(r: VerifyResult): string {
  const pending = r.pending_rows > 0 ? ` (${r.pending_rows} written in the last moments, not sealed yet)` : '';
  return r.ok
    ? `audit chain OK: ${r.checked_rows} rows verified${pending}`
    : `audit chain BROKEN at seq ${r.first_bad_seq ?? '?'}: ${r.problem ?? 'unknown problem'} (${r.checked_rows} rows checked)`;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('verify the hash chain; reports the first edited, inserted or deleted row (exit 1 when broken)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const urls = await prepareDatabase(config, createLogger(commandLogLevel()), {
        migrate: false,
        seedWhenNew: false,
        logins: false,
      });
      try {
        const r = await verifyAuditChain(urls.ownerUrl);
        process.stdout.write(`${opts.json ? JSON.stringify(r) : formatVerify(r)}\n`);
        if (!r.ok) process.exitCode = 1;
      } finally {
        await urls.embedded?.stop();
      }
    });
}

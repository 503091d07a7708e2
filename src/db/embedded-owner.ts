/**
 * Who runs the embedded PostgreSQL of a data dir: the process that started it writes its pid and
 * the pid's start time (a reused pid does not count) to DASTERN_DATA_DIR/postgres-owner; a server
 * whose owner is gone is an orphan, shut down cleanly so that the next start owns its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.ts';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function processCommand(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** The start time of a process (field 22 of /proc/<pid>/stat), or '' when it is gone. */
function processStartTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

const ownerFile = (dataDir: string): string => path.join(dataDir, 'postgres-owner');

export function writeOwner(dataDir: string): void {
  fs.writeFileSync(ownerFile(dataDir), `${process.pid} ${processStartTime(process.pid)}\n`);
}

export function clearOwner(dataDir: string): void {
  try {
    if (fs.readFileSync(ownerFile(dataDir), 'utf8').split(' ')[0] === String(process.pid))
      fs.rmSync(ownerFile(dataDir), { force: true });
  } catch {
    // no file: nothing to clear
  }
}

/** The live process that started the running server, if any (pid and start time must match). */
export function liveOwner(dataDir: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(ownerFile(dataDir), 'utf8').trim();
  } catch {
    return undefined;
  }
  const [pidText, started] = text.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return undefined;
  return started !== undefined && started !== '' && processStartTime(pid) === started ? pid : undefined;
}

/** The pid of a running server of this cluster (postmaster.pid names a live postgres), if any. */
export function runningServer(cluster: string): number | undefined {
  const pidFile = path.join(cluster, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (isAlive(pid) && processCommand(pid).includes('postgres')) return pid;
  // Stale pid file (server died with the machine, or pid reused by another process).
  fs.rmSync(pidFile, { force: true });
  return undefined;
}

/** The port a running server listens on (line 4 of postmaster.pid). */
export async function serverPort(cluster: string): Promise<number | undefined> {
  try {
    const port = Number((await fs.promises.readFile(path.join(cluster, 'postmaster.pid'), 'utf8')).split('\n')[3]);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** A server left behind by a killed process: stop it (fast shutdown) so that we own the next one. */
export async function stopOrphan(pid: number, logger: Logger): Promise<void> {
  logger.warn({ orphanPid: pid }, 'embedded PostgreSQL left running by a process that is gone: shutting it down');
  process.kill(pid, 'SIGINT');
  if (!(await waitFor(() => !isAlive(pid), 30_000))) {
    process.kill(pid, 'SIGQUIT');
    await waitFor(() => !isAlive(pid), 10_000);
  }
}

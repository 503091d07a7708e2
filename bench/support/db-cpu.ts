/**
 * PostgreSQL's CPU time for `npm run bench:api` (BENCH_DB_CPU=1), read from /proc: the
 * postmaster and its children, meaningful only on a server nobody else uses (its CPU time is
 * counted whole). Each backend is put on the side of the process at the other end of its
 * connection (pg_stat_activity's client port, matched with that process's sockets in
 * /proc/<pid>/fd and /proc/net/tcp), so a run's database time splits into the backends of the
 * server under test, the other clients' (another server's pool, its job queue, the audit
 * sealer of another process) and PostgreSQL's own processes (autovacuum, WAL writer, …).
 */
import fs from 'node:fs';
import type pg from 'pg';

/** CPU time (ms) of every process, by pid, at one moment. */
type Times = Map<number, number>;

export interface DbCpu {
  /** all of PostgreSQL's processes */
  total: number;
  /** the backends whose client is the server under test */
  own: number;
  /** the other clients' backends */
  others: number;
  /** PostgreSQL's own processes (no client) */
  background: number;
}

function procTimes(postmaster: number): Times {
  const times: Times = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      // fields[1] is the parent's pid; utime and stime are fields 11 and 12 (clock ticks, 100 Hz)
      if (Number(entry) === postmaster || Number(fields[1]) === postmaster)
        times.set(Number(entry), (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // gone meanwhile
    }
  }
  return times;
}

/** The local TCP ports of `pid`'s sockets. */
function socketPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    }
  } catch {
    return new Set();
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local address is "ADDR:PORT" (hex) in column 1; the socket's inode in column 9
      if (cols.length > 9 && inodes.has(cols[9] as string))
        ports.add(parseInt((cols[1] as string).split(':')[1] ?? '0', 16));
    }
  }
  return ports;
}

export class DbCpuMeter {
  private constructor(
    private readonly admin: pg.Client,
    private readonly postmaster: number,
  ) {}

  /** The meter of the server `admin` is connected to, or undefined when it does not run here. */
  static async of(admin: pg.Client): Promise<DbCpuMeter | undefined> {
    const pid = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    let stat = '';
    try {
      stat = pid === undefined ? '' : fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return undefined;
    }
    const parent = Number(stat.split(') ')[1]?.split(' ')[1]);
    return Number.isInteger(parent) && parent > 1 ? new DbCpuMeter(admin, parent) : undefined;
  }

  /** A snapshot to hand to `since()` later. */
  now(): Times {
    return procTimes(this.postmaster);
  }

  /** The CPU used since `before`, split by whose connection it served (`client`: the server under test). */
  async since(before: Times, client: number | undefined): Promise<DbCpu> {
    const after = procTimes(this.postmaster);
    const activity = await this.admin.query<{ pid: number; port: number | null }>(
      'SELECT pid, client_port AS port FROM pg_stat_activity',
    );
    const ports = client === undefined ? new Set<number>() : socketPorts(client);
    const clientOf = new Map(activity.rows.map((r) => [r.pid, r.port]));
    const cpu: DbCpu = { total: 0, own: 0, others: 0, background: 0 };
    for (const [pid, t] of after) {
      const used = t - (before.get(pid) ?? 0);
      cpu.total += used;
      const port = clientOf.get(pid);
      if (port === undefined || port === null) cpu.background += used;
      else if (ports.has(port)) cpu.own += used;
      else cpu.others += used;
    }
    return cpu;
  }
}

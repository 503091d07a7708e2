/**
 * Listening on one port through several sockets (SO_REUSEPORT), so that a burst of new
 * connections is accepted even while the event loop is saturated.
 *
 * Why: since libuv 1.45 (Node 20) a listening socket accepts ONE connection per turn of the
 * event loop (libuv/libuv#3696). Under load a turn lasts as long as it takes to serve every
 * request that became ready — about a second at 1,000 busy connections on 2 cores (measured
 * with `npm run bench:api`) — so connections still in the kernel's accept queue were taken
 * one per second, and clients gave up after 10 s (autocannon: ~200 timeouts per run at
 * 1,000 connections) while the accepted ones were served in ~1 s. With N sockets bound to
 * the port the kernel spreads new connections over N queues and each turn accepts up to N.
 *
 * Where the socket option comes from: Node ≥ 22.12 has `listen({ reusePort: true })`; on
 * Node 20 (Linux x64) the prebuilt N-API binary of `node-unix-socket` creates the bound socket.
 * Elsewhere (not Linux, no prebuilt binary, HOST a name rather than an address) the server
 * listens on one socket as before, and says so in the log.
 *
 * A port already in use still fails with EADDRINUSE: an exclusive probe binds it first, so
 * a second `dastern serve` never silently joins the first one's group.
 *
 * Known limits of the Node 20 binary: its sockets are not close-on-exec (a child process
 * started after listening would inherit them; `serve` starts none), and for HOST=:: dual-stack
 * follows the net.ipv6.bindv6only sysctl (libuv forces it on for the first socket only).
 */
import net from 'node:net';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyListenOptions } from 'fastify';
import type { Logger } from '../log.ts';

export interface ListenRequest {
  host: string;
  /** 0 → a free port chosen by the system (all sockets then share it). */
  port: number;
  /** How many sockets to accept on; 1 → a single ordinary listener. */
  sockets: number;
}

export interface Listeners {
  port: number;
  /** How many sockets accept connections (1 when SO_REUSEPORT is not available here). */
  sockets: number;
  /**
   * Stops the extra sockets accepting. The promise settles once the connections they accepted
   * have ended, which needs the HTTP server closed too: call this, then `app.close()`, then
   * await the promise.
   */
  close(): Promise<void>;
}

type BoundSocket = { fd: number } | { host: string; port: number; reusePort: true };
type SocketMaker = (host: string, port: number) => BoundSocket;

/** Accept-queue length per socket (the kernel caps it at net.core.somaxconn). */
const BACKLOG = 4096;

export async function listenOnSockets(app: FastifyInstance, want: ListenRequest, logger: Logger): Promise<Listeners> {
  const maker = want.sockets > 1 ? reusePortMaker(want.host) : undefined;
  if (maker === undefined) {
    if (want.sockets > 1) logger.info({ reason: reusePortUnavailable(want.host) }, 'listening on one socket');
    await app.listen({ host: want.host, port: want.port, backlog: BACKLOG });
    return { port: portOf(app.server), sockets: 1, close: () => Promise.resolve() };
  }
  if (want.port !== 0) await probeExclusive(want.host, want.port);
  // Fastify hands its options to net.Server#listen, which takes `fd` (and `reusePort` on Node ≥ 22.12).
  // (Node ignores `backlog` next to `fd`: the first socket keeps Node's 511.)
  await app.listen({ host: want.host, backlog: BACKLOG, ...maker(want.host, want.port) } as FastifyListenOptions);
  const port = portOf(app.server);
  const extras: net.Server[] = [];
  try {
    for (let i = 1; i < want.sockets; i++) {
      // Same socket options as http.createServer gives its own listener; the connection is
      // handed to the one HTTP server, which tracks it (idle ones closed on shutdown).
      const extra = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
        app.server.emit('connection', socket),
      );
      extras.push(extra);
      await new Promise<void>((resolve, reject) => {
        extra.once('error', reject);
        // a positional backlog is honoured with `fd` too
        extra.listen(maker(want.host, port), BACKLOG, () => {
          extra.off('error', reject);
          resolve();
        });
      });
      extra.on('error', (err) => logger.error({ err: err.message }, 'listening socket error'));
    }
  } catch (err) {
    // Stop accepting and fail at once; the caller closes the HTTP server (and with it what
    // these sockets accepted) — waiting here for their keep-alive connections could take minutes.
    for (const s of extras) if (s.listening) s.close();
    throw err;
  }
  return {
    port,
    sockets: want.sockets,
    close: () => Promise.all(extras.map((s) => closeServer(s))).then(() => undefined),
  };
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

function portOf(server: net.Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the HTTP server is not listening on a TCP port');
  return address.port;
}

/** Binds host:port without SO_REUSEPORT and lets it go: EADDRINUSE if anyone holds the port. */
function probeExclusive(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function nativeReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** The prebuilt N-API binary of node-unix-socket (its JS wrapper is left out: see the README). */
interface ReusePortAddon {
  socketNewSoReuseportFd(domain: 'ipv4' | 'ipv6', port: number, ip: string): number;
}

function loadAddon(): ReusePortAddon | undefined {
  if (process.arch !== 'x64') return undefined;
  const glibc =
    (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime !==
    undefined;
  try {
    return createRequire(import.meta.url)(
      glibc ? 'node-unix-socket-linux-x64-gnu' : 'node-unix-socket-linux-x64-musl',
    ) as ReusePortAddon;
  } catch {
    return undefined;
  }
}

/** How to bind one more socket to the port, or undefined when this platform can't share it. */
function reusePortMaker(host: string): SocketMaker | undefined {
  // Elsewhere SO_REUSEPORT does not spread connections (macOS gives them all to one socket).
  if (process.platform !== 'linux') return undefined;
  // An address, not a name: every socket must bind exactly the same one.
  if (net.isIP(host) === 0) return undefined;
  if (nativeReusePort()) return (h, port) => ({ host: h, port, reusePort: true });
  const addon = loadAddon();
  if (addon === undefined) return undefined;
  return (h, port) => ({ fd: addon.socketNewSoReuseportFd(net.isIPv4(h) ? 'ipv4' : 'ipv6', port, h) });
}

function reusePortUnavailable(host: string): string {
  if (process.platform !== 'linux') return `SO_REUSEPORT does not spread connections on ${process.platform}`;
  if (net.isIP(host) === 0) return 'HOST is not an IP address';
  return 'no SO_REUSEPORT binary for this platform (node-unix-socket-linux-x64-*)';
}

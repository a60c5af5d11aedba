import { constants, mkdirSync, rmSync, statSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { DataDir } from './data-dir.js';
import { freePort, httpOk, preferredOrFreePort, tryConnect } from './net.js';
import type { Output } from './output.js';
import type { Tracked } from './processes.js';
import { startServer, stopLeftover } from './server-process.js';

const DEFAULT_PORT = 4222;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
/** Debian's package installs the binary to /usr/sbin, which is not on a normal user's PATH. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin'];

/** The nats-server this run started. */
export interface LocalNats {
  readonly url: string;
  readonly port: number;
  readonly process: Tracked;
  /** SIGTERM (nats-server flushes JetStream and exits), SIGKILL after 10 s or when forced. */
  stop(force: AbortSignal): Promise<void>;
}

/** nats-server is nowhere to be found; the message says how to get it. */
export class NatsServerMissingError extends Error {
  override readonly name = 'NatsServerMissingError';
  constructor(explicit?: string) {
    super(
      [
        explicit === undefined
          ? `nats-server was not found on PATH or in ${EXTRA_DIRS.join(', ')}. Either:`
          : `NATS_SERVER_BIN=${explicit} is not an executable file. Either:`,
        '  - install it:  sudo apt-get install nats-server   (Debian/Ubuntu; or: brew install nats-server)',
        '  - or put a release binary on your PATH: https://github.com/nats-io/nats-server/releases',
        '    (or point NATS_SERVER_BIN at it)',
        '  - or use a running NATS with JetStream:  NATS_URL=nats://127.0.0.1:4222 npm start',
      ].join('\n'),
    );
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `explicit`, else the first nats-server on PATH, then in the sbin dirs; undefined when none. */
export async function findNatsServer(path: string | undefined, explicit?: string): Promise<string | undefined> {
  if (explicit !== undefined) return (await isExecutable(explicit)) ? explicit : undefined;
  const dirs = [...(path ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server');
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Starts nats-server with JetStream, its store under `.data/nats` (kept between runs), on
 * 127.0.0.1:4222 or, when that port is taken, on a free port (said on the console). Like
 * Postgres it runs in its own process group and is stopped last (see `startServer`).
 */
export async function startNatsServer(options: {
  binary: string;
  data: DataDir;
  out: Output;
  signal: AbortSignal;
}): Promise<LocalNats> {
  const { binary, data, out } = options;
  const stopping = { signal: 'SIGTERM', graceMs: STOP_GRACE_MS } as const;
  await stopLeftover('nats-server', data.natsPidFile, 'nats-server', stopping, out);

  const { port, preferredTaken } = await preferredOrFreePort(DEFAULT_PORT);
  if (preferredTaken) {
    out.warn(`port ${DEFAULT_PORT} is taken (another NATS server?), so this stack's nats-server listens on ${port} instead`);
  }
  const monitorPort = await freePort();
  mkdirSync(data.natsStore, { recursive: true });
  const args = ['-n', 'orderflow-stack', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)];
  args.push('-js', '-sd', data.natsStore, '-P', data.natsPidFile);
  const server = await startServer(
    {
      name: 'nats-server',
      command: binary,
      args,
      port,
      logFile: data.natsLog,
      // /healthz answers 200 only once JetStream is up, which "Server is ready" alone does not promise.
      ready: httpOk(`http://127.0.0.1:${monitorPort}/healthz`),
      readyTimeoutMs: START_TIMEOUT_MS,
      stopSignal: stopping.signal,
      escalate: 'SIGKILL',
      graceMs: stopping.graceMs,
    },
    options,
  );
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    process: server.process,
    async stop(force) {
      await server.stop(force);
      // nats-server 2.9 leaves its pid file behind; a stale one would only cost a check next time.
      rmSync(data.natsPidFile, { force: true });
    },
  };
}

/**
 * Checks that the first server of a `NATS_URL` accepts TCP connections, so a wrong URL fails
 * with one clear line instead of five services retrying forever. Returns the problem, if any.
 */
export async function checkNatsUrl(url: string): Promise<string | undefined> {
  const first = url.split(',')[0]!.trim();
  const withScheme = first.includes('://') ? first : `nats://${first}`;
  if (!URL.canParse(withScheme)) return `NATS_URL is not a URL: ${first}`;
  const parsed = new URL(withScheme);
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const problem = await tryConnect(host, parsed.port === '' ? DEFAULT_PORT : Number(parsed.port));
  return problem === undefined ? undefined : `cannot reach NATS at ${host}:${parsed.port || DEFAULT_PORT} (${problem})`;
}

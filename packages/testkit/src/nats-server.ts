import { spawn, type ChildProcess } from 'node:child_process';
import { constants, rmSync } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { onProcessExit } from './exit-cleanup.js';
import { freePorts, waitForHttpOk } from './net.js';

const BINARY = 'nats-server';
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** A nats-server child process on a fixed port and store dir, so it can be restarted in place. */
export interface LocalNatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Graceful stop (SIGTERM, then SIGKILL after 10 s); the store dir is kept. */
  shutdown(): Promise<void>;
  /** SIGKILL, as in a crash; the store dir is kept. */
  kill(): Promise<void>;
  /** Starts it again after shutdown() or kill(); a no-op while running. */
  start(): Promise<void>;
  /** Stops it for good and deletes the store dir. */
  destroy(): Promise<void>;
}

/** The absolute path of nats-server on PATH, or undefined. */
export async function findNatsServer(): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, BINARY);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  return undefined;
}

export async function startLocalNatsServer(options: { jetstream: boolean }): Promise<LocalNatsServer> {
  const found = await findNatsServer();
  if (found === undefined) {
    throw new Error(
      'nats-server is not on PATH. Install it (apt-get install nats-server, or a release from ' +
        'https://github.com/nats-io/nats-server/releases) or set NATS_URL to a running server with JetStream.',
    );
  }
  const binary: string = found;
  const storeDir = await mkdtemp(join(tmpdir(), 'orderflow-testkit-nats-'));
  // Both ports stay fixed for the life of the server: restart() must come back on the same URL.
  const [port, monitorPort] = (await freePorts(2)) as [number, number];
  const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)];
  if (options.jetstream) args.push('-js', '-sd', storeDir);

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let destroyed = false;
  const unregister = onProcessExit(() => {
    child?.kill('SIGKILL');
    rmSync(storeDir, { recursive: true, force: true });
  });

  async function start(): Promise<void> {
    if (destroyed) throw new Error('this nats-server was stopped for good');
    if (child !== undefined) return;
    const logTail: string[] = [];
    let failure: Error | undefined;
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // The pipes must be drained or nats-server blocks once the OS buffer fills.
    const keep = (chunk: Buffer): void => {
      logTail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      logTail.splice(0, Math.max(0, logTail.length - 40));
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    exited = new Promise((resolve) => {
      proc.once('error', (error) => {
        failure = error;
        if (child === proc) child = undefined;
        resolve();
      });
      proc.once('exit', (code, signal) => {
        failure ??= new Error(`nats-server exited (code ${code ?? 'null'}, signal ${signal ?? 'null'})`);
        if (child === proc) child = undefined;
        resolve();
      });
    });
    try {
      await waitForHttpOk(`http://127.0.0.1:${monitorPort}/healthz`, {
        timeoutMs: START_TIMEOUT_MS,
        abort: () => failure,
      });
    } catch (error) {
      await stopProcess('SIGKILL');
      throw new Error(`nats-server did not start on port ${port}: ${String(error)}\n${logTail.join('\n')}`, {
        cause: error,
      });
    }
  }

  async function stopProcess(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (proc === undefined) return;
    proc.kill(signal);
    // A plain sleep() here would keep the event loop (and the test runner) alive for the full timeout.
    const escalate = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(escalate);
    }
  }

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    shutdown: () => stopProcess('SIGTERM'),
    kill: () => stopProcess('SIGKILL'),
    start,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await stopProcess('SIGTERM');
      await rm(storeDir, { recursive: true, force: true });
      unregister();
    },
  };
}

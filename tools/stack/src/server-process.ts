import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileSize, logTail } from './log-tail.js';
import { waitUntil } from './net.js';
import type { Output } from './output.js';
import { commandLine, describeExit, isAlive, readPidFile, stopPid, stopTracked, track, type Tracked } from './processes.js';

/** How to run, probe and stop one infrastructure server (nats-server, Postgres). */
export interface ServerSpec {
  /** For messages: `nats-server`, `Postgres`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly port: number;
  /** Appended to across runs; its tail of this run goes into a start failure. */
  readonly logFile: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Returns why the server is not ready yet, or undefined once it is. */
  readonly ready: () => Promise<string | undefined>;
  readonly readyTimeoutMs: number;
  /** The server's graceful shutdown signal, the last resort after `graceMs` or when forced. */
  readonly stopSignal: NodeJS.Signals;
  readonly escalate: NodeJS.Signals;
  readonly graceMs: number;
}

/** A server this run started. */
export interface ServerProcess {
  readonly process: Tracked;
  /** Graceful stop; `force` (a second Ctrl-C) escalates at once. */
  stop(force: AbortSignal): Promise<void>;
}

/**
 * Starts a server and waits until `ready` says so; on failure (it exits, the time runs out) it
 * is stopped and the error carries the tail of its log.
 *
 * Hazard handled: the server runs in its own process group (`detached`), so the Ctrl-C that a
 * terminal sends to its whole foreground group does not stop it while the services still drain
 * their connections; the runner stops it last. The price: a runner killed with SIGKILL leaves
 * it running, which {@link stopLeftover} deals with on the next run.
 */
export async function startServer(spec: ServerSpec, options: { out: Output; signal: AbortSignal }): Promise<ServerProcess> {
  const logStart = fileSize(spec.logFile);
  const log = openSync(spec.logFile, 'a');
  let tracked: Tracked;
  try {
    const child = spawn(spec.command, spec.args, {
      uid: spec.uid,
      gid: spec.gid,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    tracked = track(spec.name, child);
  } finally {
    closeSync(log);
  }

  const stop = async (force: AbortSignal) => {
    await stopTracked(tracked, {
      signal: spec.stopSignal,
      graceMs: spec.graceMs,
      escalate: spec.escalate,
      force,
      onEscalate: (why) => options.out.warn(`${spec.name} did not stop (${why}); sending ${spec.escalate}`),
    });
  };
  const exitedEarly = new AbortController();
  void tracked.exited.then((exit) => exitedEarly.abort(new Error(`${spec.name} ${describeExit(exit)}`)));
  try {
    await waitUntil(spec.name, spec.ready, {
      timeoutMs: spec.readyTimeoutMs,
      intervalMs: 100,
      signal: AbortSignal.any([options.signal, exitedEarly.signal]),
    });
  } catch (error) {
    // Asked to stop while starting (Ctrl-C): the usual graceful stop. A failed start: no patience.
    await stop(options.signal.aborted ? new AbortController().signal : AbortSignal.abort());
    if (options.signal.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${spec.name} did not start on port ${spec.port}: ${reason}\n${logTail(spec.logFile, logStart)}`, { cause: error });
  }
  return { process: tracked, stop };
}

/**
 * Stops a server that a killed runner left running, found through its pid file; `binary` must
 * appear in the process's command line (the pid may belong to something else by now).
 */
export async function stopLeftover(
  name: string,
  pidFile: string,
  binary: string,
  stop: { signal: NodeJS.Signals; graceMs: number },
  out: Output,
): Promise<void> {
  const pid = readPidFile(pidFile);
  if (pid === undefined || !isAlive(pid) || !(commandLine(pid) ?? '').includes(binary)) return;
  out.warn(`stopping ${name} pid ${pid}, left running by an earlier run`);
  await stopPid(pid, stop.signal, stop.graceMs);
}

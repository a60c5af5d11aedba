import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** How a child ended: exit code, or the signal that killed it, or a spawn error. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

/** A child process the runner started, with a promise of its end. */
export interface Tracked {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves once the process is gone and its output is read (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Set once `exited` resolved. */
  readonly exit: ExitInfo | undefined;
}

export function describeExit(exit: ExitInfo): string {
  if (exit.error !== undefined) return `could not start: ${exit.error.message}`;
  if (exit.signal !== null) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code ?? '?'}`;
}

/**
 * Tracks `proc`: its end, and (when `onLine` is given and stdout/stderr are pipes) every output
 * line. The pipes are always drained: a child blocks once the OS pipe buffer fills.
 */
export function track(name: string, proc: ChildProcess, onLine?: (line: string, stream: 'stdout' | 'stderr') => void): Tracked {
  let exit: ExitInfo | undefined;
  for (const stream of ['stdout', 'stderr'] as const) {
    const readable = proc[stream];
    if (readable === null) continue;
    if (onLine === undefined) readable.resume();
    else createInterface({ input: readable, crlfDelay: Infinity }).on('line', (line) => onLine(line, stream));
  }
  const exited = new Promise<ExitInfo>((resolve) => {
    const settle = (info: ExitInfo) => {
      exit ??= info;
      resolve(exit);
    };
    proc.once('error', (error) => settle({ code: null, signal: null, error }));
    // 'close' comes after 'exit' and after the last output line, so nothing is printed after
    // the runner reported the end.
    proc.once('close', (code, signal) => settle({ code, signal }));
  });
  return {
    name,
    process: proc,
    exited,
    get exit() {
      return exit;
    },
  };
}

/** Options of {@link stopTracked}. */
export interface StopOptions {
  /** First signal (the process's graceful shutdown). */
  readonly signal: NodeJS.Signals;
  /** How long it may take before `escalate` is sent. */
  readonly graceMs: number;
  /** Last resort; default SIGKILL. */
  readonly escalate?: NodeJS.Signals;
  /** Aborting (a second Ctrl-C) sends `escalate` at once. */
  readonly force?: AbortSignal;
  /** Told when the grace period ran out or was cut short. */
  readonly onEscalate?: (why: 'timeout' | 'forced') => void;
}

/** Sends `signal`, waits for the end, escalates after `graceMs` or when forced. */
export async function stopTracked(child: Tracked, options: StopOptions): Promise<ExitInfo> {
  if (child.exit !== undefined) return child.exit;
  const escalate = options.escalate ?? 'SIGKILL';
  const kill = (signal: NodeJS.Signals) => {
    try {
      child.process.kill(signal);
    } catch {
      // already gone
    }
  };
  if (options.force?.aborted) kill(escalate);
  else kill(options.signal);
  const sendEscalation = (why: 'timeout' | 'forced') => {
    if (child.exit !== undefined) return;
    options.onEscalate?.(why);
    kill(escalate);
  };
  const timer = setTimeout(() => sendEscalation('timeout'), options.graceMs);
  const onForce = () => sendEscalation('forced');
  options.force?.addEventListener('abort', onForce, { once: true });
  try {
    return await child.exited;
  } finally {
    clearTimeout(timer);
    options.force?.removeEventListener('abort', onForce);
  }
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of `pid` (Linux /proc, else `ps`), or undefined when unknown. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    try {
      return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

/** The first line of a pid file (postmaster.pid, nats-server's -P file) as a pid. */
export function readPidFile(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').split('\n')[0]?.trim() ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stops a process the runner did not start in this run (left over by a runner that was
 * killed): `signal`, then SIGKILL after `graceMs`. Resolves once it is gone.
 */
export async function stopPid(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await sleep(100);
  }
}

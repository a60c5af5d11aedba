import type { Pool } from 'pg';
import { cpuSince, cpuSnapshot, type CpuUsage } from './cpu.js';
import { startProfile, type ProfileSummary } from './profile.js';

/** One measured figure of the bench. */
export interface Figure {
  /** Stable id, used for floors and in the JSON. */
  readonly key: string;
  readonly group: 'raw' | 'relay' | 'runner';
  readonly label: string;
  readonly events: number;
  readonly seconds: number;
  readonly rate: number;
  readonly cpu: CpuUsage;
  /** Key of the raw figure this one is compared against. */
  readonly floor?: string;
  /** events/s this figure must reach. */
  readonly target?: number;
  /** Connections checked out of the pool during the run: one per relay pass or runner transaction. */
  readonly checkouts?: number;
  /** Runner only: messages left delivered-but-unacked by `stop()` (they wait for ack_wait). */
  readonly strandedAfterStop?: number;
  readonly profile?: ProfileSummary;
}

export interface Timing {
  readonly seconds: number;
  readonly checkouts?: number;
  readonly cpu: CpuUsage;
  readonly profile?: ProfileSummary;
}

/** Times `fn` (wall clock) and the CPU everyone spent meanwhile; profiles it when `profileFile` is set. */
export async function measure(fn: () => Promise<void>, options: { profileFile?: string; pool?: Pool } = {}): Promise<Timing> {
  const stop = options.profileFile ? await startProfile() : undefined;
  let checkouts = 0;
  const onAcquire = () => void checkouts++;
  options.pool?.on('acquire', onAcquire);
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    options.pool?.off('acquire', onAcquire);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSince(cpu0);
  const profile = stop && options.profileFile ? await stop(options.profileFile) : undefined;
  return { seconds, cpu, ...(options.pool ? { checkouts } : {}), ...(profile ? { profile } : {}) };
}

export function figure(
  base: Omit<Figure, 'seconds' | 'rate' | 'cpu' | 'profile'>,
  timing: Timing,
): Figure {
  return { ...base, ...timing, rate: base.events / timing.seconds };
}

/** Resolves once `count()` reaches `n`; the callers bump the count from metrics hooks. */
export function countdown(n: number): { add(k: number): void; readonly done: Promise<void>; readonly count: number } {
  let count = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  if (n <= 0) resolve();
  return {
    add(k) {
      count += k;
      if (count >= n) resolve();
    },
    done,
    get count() {
      return count;
    },
  };
}

/** Rejects if `p` has not settled after `ms` (a stuck scenario must fail the run, not hang it). */
export async function within<T>(p: Promise<T>, ms: number, what: string, progress?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s${progress ? ` (${progress()})` : ''}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

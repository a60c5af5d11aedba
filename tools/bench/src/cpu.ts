import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time of the three parties of every scenario (this Node process, nats-server, all postgres
 * processes) and of the whole machine, read from /proc. On a 2-core machine the answer to "why
 * is it not faster" is usually "someone is at 100% of a core", so every figure carries these.
 * Without /proc (macOS) the process figures are empty and only Node's own CPU is reported.
 */
export interface CpuSnapshot {
  readonly at: number;
  readonly node: number;
  /** CPU ticks of every nats-server and postgres process, by pid. */
  readonly procs: ReadonlyMap<string, { readonly group: 'nats' | 'postgres'; readonly ticks: number }>;
  readonly machineBusy: number;
  readonly machineTotal: number;
}

/** CPU used during an interval, in % of one core (200% = both cores of a 2-core machine). */
export interface CpuUsage {
  readonly nodePct: number;
  readonly natsPct: number | undefined;
  readonly postgresPct: number | undefined;
  /** Busy share of all cores, 0–100%. */
  readonly machinePct: number | undefined;
}

const TICK_S = 0.01; // USER_HZ is 100 on every Linux we run on.
let hasProc = true;

function procTicks(): Map<string, { group: 'nats' | 'postgres'; ticks: number }> {
  const out = new Map<string, { group: 'nats' | 'postgres'; ticks: number }>();
  if (!hasProc) return out;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    hasProc = false;
    return out;
  }
  for (const pid of pids) {
    const stat = procStat(pid);
    const group = stat?.comm === 'nats-server' ? 'nats' : stat?.comm.startsWith('postgres') ? 'postgres' : undefined;
    if (stat && group) out.set(pid, { group, ticks: stat.ticks });
  }
  return out;
}

/** A process's name and CPU ticks (utime + stime) from /proc; undefined once it exited. */
export function procStat(pid: string | number): { comm: string; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces; fields after it are space-separated.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function machineTicks(): { busy: number; total: number } {
  if (!hasProc) return { busy: 0, total: 0 };
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    hasProc = false;
    return { busy: 0, total: 0 };
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const procs = procTicks();
  const m = machineTicks();
  const u = process.cpuUsage();
  return { at: performance.now(), node: (u.user + u.system) / 1e6, procs, machineBusy: m.busy, machineTotal: m.total };
}

export function cpuSince(start: CpuSnapshot, end: CpuSnapshot = cpuSnapshot()): CpuUsage {
  const wall = (end.at - start.at) / 1000;
  const pct = (s: number) => Math.round((100 * s) / wall);
  // Per pid, so a backend that started during the interval counts from zero and one that exited
  // simply drops out (its last ticks are lost: a slight undercount, never a negative figure).
  const used = { nats: 0, postgres: 0 };
  for (const [pid, p] of end.procs) used[p.group] += (p.ticks - (start.procs.get(pid)?.ticks ?? 0)) * TICK_S;
  return {
    nodePct: pct(end.node - start.node),
    natsPct: hasProc ? pct(used.nats) : undefined,
    postgresPct: hasProc ? pct(used.postgres) : undefined,
    machinePct:
      hasProc && end.machineTotal > start.machineTotal
        ? Math.round((100 * (end.machineBusy - start.machineBusy)) / (end.machineTotal - start.machineTotal))
        : undefined,
  };
}

/** Busy share of all cores over `ms`, before the bench starts: other work on the machine skews every figure. */
export async function backgroundLoad(ms = 1000): Promise<number | undefined> {
  const a = machineTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineTicks();
  return hasProc && b.total > a.total ? Math.round((100 * (b.busy - a.busy)) / (b.total - a.total)) : undefined;
}

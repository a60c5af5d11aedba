import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Figure } from './measure.js';
import { formatProfile } from './profile.js';

export interface RunInfo {
  readonly startedAt: string;
  readonly argv: readonly string[];
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string; readonly platform: string };
  readonly servers: { readonly nats: string; readonly postgres: string };
  /** Busy share of all cores in the second before the bench started (other work on the machine). */
  readonly backgroundLoadPct: number | null;
  readonly config: Record<string, unknown>;
}

export interface Judged extends Figure {
  readonly floorRate?: number;
  /** This figure divided by its floor's events/s. */
  readonly ratio?: number;
  readonly result?: 'PASS' | 'MISS';
}

export function judge(figures: readonly Figure[]): Judged[] {
  const byKey = new Map(figures.map((f) => [f.key, f]));
  return figures.map((f) => {
    const floor = f.floor ? byKey.get(f.floor) : undefined;
    return {
      ...f,
      ...(floor ? { floorRate: floor.rate, ratio: f.rate / floor.rate } : {}),
      ...(f.target !== undefined ? { result: f.rate >= f.target ? 'PASS' : 'MISS' } : {}),
    };
  });
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number | undefined) => (n === undefined ? '-' : `${n}%`);

export function formatTable(info: RunInfo, figures: readonly Judged[]): string {
  const header = ['scenario', 'events', 'seconds', 'events/s', 'floor', 'ratio', 'target', 'result', 'ev/tx', 'CPU node/nats/pg', 'machine'];
  const rows = figures.map((f) => [
    f.label,
    int(f.events),
    f.seconds.toFixed(2),
    int(f.rate),
    f.floor ? `${f.floor} ${f.floorRate ? int(f.floorRate) : '?'}` : '',
    f.ratio !== undefined ? `${f.ratio.toFixed(2)}x` : '',
    f.target !== undefined ? `>= ${int(f.target)}` : '',
    f.result ?? '',
    f.checkouts ? (f.events / f.checkouts).toFixed(1) : '',
    `${pct(f.cpu.nodePct)}/${pct(f.cpu.natsPct)}/${pct(f.cpu.postgresPct)}`,
    pct(f.cpu.machinePct),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = new Set([1, 2, 3, 5, 8, 9, 10]);
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const groupTitles: Record<Figure['group'], string> = {
    raw: 'raw floors',
    relay: 'outbox relay',
    runner: 'consumer runner (inbox + handler + outbox)',
  };
  const out: string[] = [
    `Messaging benchmark ${info.startedAt}`,
    `  nats-server ${info.servers.nats}, PostgreSQL ${info.servers.postgres}, Node ${info.machine.node}, ` +
      `${info.machine.cpus} x ${info.machine.cpuModel}; machine ${info.backgroundLoadPct ?? '?'}% busy before the run`,
    `  ratio = events/s over the floor's events/s; ev/tx = events per pool checkout (relay pass or runner transaction)`,
    `  CPU = % of one core during the timed phase (node = this process); machine = busy share of all cores`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
  ];
  let group: string | undefined;
  figures.forEach((f, i) => {
    if (f.group !== group) {
      group = f.group;
      out.push(`[${groupTitles[f.group]}]`);
    }
    out.push(line(rows[i]!));
  });
  const profiled = figures.filter((f) => f.profile);
  if (profiled.length > 0) {
    out.push('', 'Figures of profiled phases are lower than unprofiled ones (sampling every 200 µs).');
    for (const f of profiled) out.push('', formatProfile(f.label, f.profile!));
  }
  return out.join('\n');
}

/** Writes `messaging-<timestamp>.json` into `dir` and returns its path. */
export function writeJson(dir: string, info: RunInfo, figures: readonly Judged[]): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `messaging-${info.startedAt.replace(/[:.]/g, '-')}.json`);
  const body = {
    ...info,
    figures: figures.map((f) => ({
      key: f.key,
      group: f.group,
      label: f.label,
      events: f.events,
      seconds: Number(f.seconds.toFixed(4)),
      eventsPerSecond: Math.round(f.rate),
      floor: f.floor ?? null,
      floorEventsPerSecond: f.floorRate !== undefined ? Math.round(f.floorRate) : null,
      ratio: f.ratio !== undefined ? Number(f.ratio.toFixed(3)) : null,
      target: f.target ?? null,
      result: f.result ?? null,
      poolCheckouts: f.checkouts ?? null,
      strandedAfterStop: f.strandedAfterStop ?? null,
      cpu: f.cpu,
      profile: f.profile ?? null,
    })),
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

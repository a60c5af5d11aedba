import { writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector/promises';

/** One row of a profile summary: a function (or a package) and the CPU time spent in it. */
export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  /** Share of all sampled time (idle included), 0–100. */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly sampledMs: number;
  /** Functions by self time. */
  readonly topSelf: readonly ProfileEntry[];
  /** Where the time went: our packages, each npm package, node internals, GC, idle. */
  readonly byArea: readonly ProfileEntry[];
  /** Functions of our own packages (messaging, contracts, bench) by inclusive time. */
  readonly ownInclusive: readonly ProfileEntry[];
}

/**
 * Samples the CPU of this process around one timed phase through the inspector, so the profile
 * holds only that phase (not the set-up that fills the outbox or the stream).
 */
export async function startProfile(): Promise<(file: string) => Promise<ProfileSummary>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    await session.post('Profiler.disable');
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    return summarize(profile, file);
  };
}

function area(url: string, fn: string): string {
  if (!url) {
    if (fn === '(garbage collector)' || fn === '(idle)' || fn === '(program)' || fn === '(root)') return fn;
    return '(native)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(packages|tools)\/([^/]+)\//.exec(url);
  if (own) return `@orderflow/${own[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

function label(frame: Profiler.ProfileNode['callFrame']): string {
  const file = frame.url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(packages|tools)\//, '');
  return `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
}

function top(map: Map<string, number>, total: number, n: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Math.round((1000 * us) / total) / 10 }));
}

export function summarize(profile: Profiler.Profile, file: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the gap before sample i; attribute the gap after it (the next delta).
    const us = deltas[i + 1] ?? deltas[i] ?? 0;
    const node = byId.get(samples[i]!);
    if (!node) continue;
    total += us;
    const f = node.callFrame;
    self.set(label(f), (self.get(label(f)) ?? 0) + us);
    const a = area(f.url, f.functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    // Inclusive time of our own functions: count each function once per sample, however deep.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (!/\/(packages|services|tools)\//.test(frame.url) || frame.url.includes('node_modules')) continue;
      const l = label(frame);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + us);
    }
  }
  return {
    file,
    sampledMs: Math.round(total / 1000),
    topSelf: top(self, total, 25),
    byArea: top(areas, total, 15),
    ownInclusive: top(inclusive, total, 20),
  };
}

/** Plain-text rendering of a summary for the console. */
export function formatProfile(title: string, s: ProfileSummary): string {
  const rows = (entries: readonly ProfileEntry[]) =>
    entries.map((e) => `    ${String(e.ms).padStart(7)} ms ${e.pct.toFixed(1).padStart(5)}%  ${e.name}`).join('\n');
  return [
    `── CPU profile: ${title} (${s.sampledMs} ms sampled; ${s.file})`,
    '  by area (self time):',
    rows(s.byArea),
    '  top functions (self time):',
    rows(s.topSelf),
    '  our functions (inclusive time):',
    rows(s.ownInclusive),
  ].join('\n');
}

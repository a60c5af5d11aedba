/** Latency figures of one phase, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile (`q` in 0..1) of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 0.5)),
    p90: round(percentile(sorted, 0.9)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? Number.NaN),
    mean: round(sorted.length ? sum / sorted.length : Number.NaN),
  };
}

/** One hop of the flow: the time from the event before it (or the POST) to its arrival, in ms. */
export interface HopSummary {
  /** `POST → order.placed`, `order.placed → inventory.reserved`, … */
  readonly hop: string;
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Each order's events (arrival, ms after its POST) turned into hops, the gap between one arrival
 * and the next in arrival order, summarized per hop in the order the hops first appear. It says
 * which hop a slow percentile comes from: a stall in one consumer shows as one hop's p99.
 */
export function hopSummaries(orders: Iterable<readonly { readonly type: string; readonly atMs: number }[]>): HopSummary[] {
  const gaps = new Map<string, number[]>();
  for (const events of orders) {
    let previous = { type: 'POST', atMs: 0 };
    for (const event of [...events].sort((a, b) => a.atMs - b.atMs)) {
      const hop = `${previous.type} → ${event.type}`;
      const list = gaps.get(hop) ?? [];
      list.push(event.atMs - previous.atMs);
      gaps.set(hop, list);
      previous = event;
    }
  }
  return [...gaps].map(([hop, samples]) => {
    const { count, p50, p99, max } = summarize(samples);
    return { hop, count, p50, p99, max };
  });
}

export interface Bucket {
  /** Lower bound (inclusive), ms. */
  readonly from: number;
  /** Upper bound (exclusive), ms. */
  readonly to: number;
  readonly count: number;
}

/**
 * Log-spaced buckets (`perDecade` per factor of 10) from `minMs` up to the largest sample, so a
 * 5 ms median and a 2 s tail fit in one picture.
 */
export function logHistogram(samples: readonly number[], perDecade = 8, minMs = 1): Bucket[] {
  if (samples.length === 0) return [];
  const max = Math.max(...samples);
  const step = 10 ** (1 / perDecade);
  const bounds = [0, minMs];
  while (bounds.at(-1)! <= max) bounds.push(bounds.at(-1)! * step);
  const counts = new Array<number>(bounds.length - 1).fill(0);
  for (const s of samples) {
    let i = s < minMs ? 0 : 1 + Math.floor(Math.log(s / minMs) / Math.log(step));
    i = Math.min(i, counts.length - 1);
    counts[i]! += 1;
  }
  return counts.map((count, i) => ({ from: bounds[i]!, to: bounds[i + 1]!, count }));
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s`;
  return `${ms >= 10 ? Math.round(ms) : Number(ms.toFixed(1))} ms`;
}

/**
 * An SVG picture of latency histograms, one panel per series (e.g. the max-rate phase and the
 * half-rate phase), with p50 / p99 marked. Plain SVG: any browser or the GitHub UI shows it.
 */
export function histogramSvg(title: string, series: readonly { label: string; samples: readonly number[] }[]): string {
  const width = 760;
  const panelH = 220;
  const margin = { left: 56, right: 16, top: 44, bottom: 42 };
  const height = 30 + series.length * (panelH + margin.top + margin.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  series.forEach((s, k) => {
    const top = 30 + k * (panelH + margin.top + margin.bottom) + margin.top;
    const buckets = logHistogram(s.samples);
    const plotW = width - margin.left - margin.right;
    const stats = summarize(s.samples);
    parts.push(
      `<text x="${margin.left}" y="${top - 12}" font-size="12" font-weight="bold">${escapeXml(s.label)}</text>`,
      `<text x="${width - margin.right}" y="${top - 12}" text-anchor="end">n=${stats.count}  p50 ${formatMs(stats.p50)}  p90 ${formatMs(stats.p90)}  p99 ${formatMs(stats.p99)}  max ${formatMs(stats.max)}</text>`,
      `<line x1="${margin.left}" y1="${top + panelH}" x2="${width - margin.right}" y2="${top + panelH}" stroke="#333"/>`,
    );
    if (buckets.length === 0) return;
    const peak = Math.max(...buckets.map((b) => b.count));
    const barW = plotW / buckets.length;
    // x position of a latency value on this panel's bucket scale.
    const xOf = (ms: number) => {
      const i = buckets.findIndex((b) => ms < b.to);
      const b = buckets[i === -1 ? buckets.length - 1 : i]!;
      const frac = b.to > b.from ? (ms - b.from) / (b.to - b.from) : 0;
      return margin.left + ((i === -1 ? buckets.length - 1 : i) + Math.min(1, Math.max(0, frac))) * barW;
    };
    buckets.forEach((b, i) => {
      const h = peak ? (b.count / peak) * (panelH - 10) : 0;
      const x = margin.left + i * barW;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(top + panelH - h).toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#4878d0"><title>${formatMs(b.from)}–${formatMs(b.to)}: ${b.count}</title></rect>`,
      );
      if (i % 4 === 0 || i === buckets.length - 1) {
        parts.push(`<text x="${x.toFixed(1)}" y="${top + panelH + 14}" text-anchor="middle">${formatMs(b.from)}</text>`);
      }
    });
    parts.push(`<text x="${margin.left - 6}" y="${top + 10}" text-anchor="end">${peak}</text>`);
    parts.push(`<text x="${margin.left - 6}" y="${top + panelH}" text-anchor="end">0</text>`);
    for (const [name, v, color] of [
      ['p50', stats.p50, '#2a9d3a'],
      ['p99', stats.p99, '#d04848'],
    ] as const) {
      const x = xOf(v).toFixed(1);
      parts.push(
        `<line x1="${x}" y1="${top}" x2="${x}" y2="${top + panelH}" stroke="${color}" stroke-dasharray="4 3"/>`,
        `<text x="${x}" y="${top - 2}" text-anchor="middle" fill="${color}">${name}</text>`,
      );
    }
    parts.push(`<text x="${margin.left + plotW / 2}" y="${top + panelH + 32}" text-anchor="middle">POST /orders → order.confirmed on NATS (log scale)</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Per-second latency of orders by the second their POST was sent: stalls show as spikes. */
export function perSecond(timeline: readonly (readonly [number, number])[]): { second: number; orders: number; p50: number; max: number }[] {
  const bySecond = new Map<number, number[]>();
  for (const [at, ms] of timeline) {
    const k = Math.floor(at);
    (bySecond.get(k) ?? bySecond.set(k, []).get(k)!).push(ms);
  }
  return [...bySecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([second, v]) => {
      const s = summarize(v);
      return { second, orders: v.length, p50: s.p50, max: s.max };
    });
}

/** CPU spent per order by each process of the system, and what that cost allows. */
export interface CpuPerOrder {
  /** Milliseconds of CPU per order, by process (services, nats, postgres). */
  readonly byProcess: Readonly<Record<string, number>>;
  readonly totalMs: number;
  /** The most orders/s `cores` could sustain at this cost per order. */
  readonly boundPerSecond: number;
}

/**
 * Turns CPU seconds used by each process during a phase into milliseconds per order. The total
 * is the figure to drive down: at `totalMs` per order, `cores` cores can do no more than
 * `cores * 1000 / totalMs` orders/s, however the work is spread.
 */
export function cpuPerOrder(cpuSeconds: Readonly<Record<string, number>>, orders: number, cores: number): CpuPerOrder | undefined {
  if (orders <= 0) return undefined;
  const round = (v: number) => Math.round(v * 10) / 10;
  const byProcess = Object.fromEntries(Object.entries(cpuSeconds).map(([k, s]) => [k, round((s * 1000) / orders)]));
  const totalMs = round((Object.values(cpuSeconds).reduce((a, b) => a + b, 0) * 1000) / orders);
  return { byProcess, totalMs, boundPerSecond: totalMs > 0 ? round((cores * 1000) / totalMs) : Number.POSITIVE_INFINITY };
}

/**
 * Orders/s in consecutive 10 s windows of a phase (the last one may be shorter), from its
 * per-second counts: whether a warm-up's throughput had levelled off.
 */
export function perTenSeconds(phase: { readonly seconds: number; readonly perSecond: readonly { readonly second: number; readonly orders: number }[] }): number[] {
  const windows = Math.ceil(phase.seconds / 10);
  const sums = new Array<number>(windows).fill(0);
  for (const { second, orders } of phase.perSecond) if (second >= 0 && second < phase.seconds) sums[Math.floor(second / 10)]! += orders;
  return sums.map((sum, k) => Math.round(sum / Math.min(10, phase.seconds - k * 10)));
}

/**
 * From a Prometheus text exposition: for each `consumer` label, how many observations of the
 * histogram `name` were above `le` seconds (its `_count` minus its `le` bucket, summed over the
 * other labels). With the runner's `messaging_message_lag_seconds` (stored in JetStream → taken up
 * by the runner) and `messaging_message_duration_seconds` (taken up → acked), it tells whether a
 * stalled hop waited to reach its handler or in it.
 */
export function slowObservations(metricsText: string, name: string, le: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const suffix of ['count', 'bucket'] as const) {
    for (const { labels, value } of metricSamples(metricsText, `${name}_${suffix}`)) {
      const consumer = labels['consumer'];
      if (consumer === undefined) continue;
      if (suffix === 'count') totals[consumer] = (totals[consumer] ?? 0) + value;
      else if (labels['le'] === le) totals[consumer] = (totals[consumer] ?? 0) - value;
    }
  }
  return totals;
}

/** The labelled samples of the metric `name` in Prometheus' text format. */
export function metricSamples(metricsText: string, name: string): { labels: Record<string, string>; value: number }[] {
  const line = new RegExp(`^${name}\\{([^}]*)\\}\\s+([0-9.e+-]+)`, 'gm');
  return [...metricsText.matchAll(line)].map((m) => ({
    labels: Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!])),
    value: Number(m[2]),
  }));
}

import { describe, expect, it } from 'vitest';
import { readSystemBenchEnv } from '../src/system/env.js';
import { isBenchStackStream } from '../src/bench-streams.js';
import { serviceStreams } from '@orderflow/contracts';
import { rssFromMetrics } from '../src/system/memory.js';
import { cpuPerOrder, histogramSvg, hopSummaries, logHistogram, percentile, perSecond, perTenSeconds, metricSamples, slowObservations, summarize } from '../src/system/stats.js';

describe('latency statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('summarizes unsorted samples', () => {
    expect(summarize([30, 10, 20, 40])).toEqual({ count: 4, p50: 20, p90: 40, p99: 40, max: 40, mean: 25 });
  });

  it('puts every sample in exactly one log-spaced bucket', () => {
    const samples = [0.2, 1, 3, 9.9, 10, 250, 4000];
    const buckets = logHistogram(samples, 4);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(samples.length);
    for (const b of buckets) expect(b.to).toBeGreaterThan(b.from);
    expect(buckets[0]).toMatchObject({ from: 0, to: 1, count: 1 });
    expect(buckets.at(-1)!.to).toBeGreaterThan(4000);
  });

  it('groups latency by the second the order was sent', () => {
    expect(perSecond([[0.1, 10], [0.9, 30], [1.5, 500]])).toEqual([
      { second: 0, orders: 2, p50: 10, max: 30 },
      { second: 1, orders: 1, p50: 500, max: 500 },
    ]);
  });

  it("averages a phase's throughput over 10 s windows, the last one shorter, seconds without orders counted", () => {
    const perSecondOrders = [
      { second: 0, orders: 100 },
      { second: 9, orders: 100 },
      { second: 12, orders: 300 },
      { second: 24, orders: 50 },
    ];
    expect(perTenSeconds({ seconds: 25, perSecond: perSecondOrders })).toEqual([20, 30, 10]);
  });

  it('draws one SVG panel per series with p50 and p99 marked', () => {
    const svg = histogramSvg('t <&>', [
      { label: 'a', samples: [5, 6, 7, 100] },
      { label: 'b', samples: [] },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('t &lt;&amp;&gt;');
    expect(svg.match(/>p99</g)).toHaveLength(1);
    expect(svg).toContain('n=4');
  });
});

describe('slow messages from /metrics', () => {
  it('counts, per consumer, the observations above a bucket, over every other label', () => {
    const text = [
      '# HELP messaging_message_duration_seconds x',
      'messaging_message_duration_seconds_bucket{le="0.5",consumer="a",outcome="processed",service="s"} 90',
      'messaging_message_duration_seconds_bucket{le="1",consumer="a",outcome="processed",service="s"} 97',
      'messaging_message_duration_seconds_bucket{le="+Inf",consumer="a",outcome="processed",service="s"} 100',
      'messaging_message_duration_seconds_count{consumer="a",outcome="processed",service="s"} 100',
      'messaging_message_duration_seconds_bucket{le="1",consumer="a",outcome="retried",service="s"} 1',
      'messaging_message_duration_seconds_count{consumer="a",outcome="retried",service="s"} 2',
      'messaging_message_duration_seconds_bucket{le="1",consumer="b",outcome="processed",service="s"} 5',
      'messaging_message_duration_seconds_count{consumer="b",outcome="processed",service="s"} 5',
      'messaging_message_lag_seconds_bucket{le="1",consumer="a",service="s"} 0',
      'messaging_message_lag_seconds_count{consumer="a",service="s"} 7',
    ].join('\n');
    expect(slowObservations(text, 'messaging_message_duration_seconds', '1')).toEqual({ a: 4, b: 0 });
    expect(slowObservations(text, 'messaging_message_lag_seconds', '1')).toEqual({ a: 7 });
  });
});

describe('hops', () => {
  it('summarizes the gap before each event, from the POST on, per hop in flow order, whatever the arrival order in the list', () => {
    const flow = (placed: number, reserved: number, confirmed: number) => [
      { type: 'order.confirmed', atMs: confirmed },
      { type: 'order.placed', atMs: placed },
      { type: 'inventory.reserved', atMs: reserved },
    ];
    const hops = hopSummaries([flow(10, 30, 40), flow(20, 1020, 1030), flow(10, 40, 45)]);
    expect(hops.map((h) => h.hop)).toEqual(['POST → order.placed', 'order.placed → inventory.reserved', 'inventory.reserved → order.confirmed']);
    expect(hops[0]).toEqual({ hop: 'POST → order.placed', count: 3, p50: 10, p99: 20, max: 20 });
    // The stalled order shows in its own hop, not in the others.
    expect(hops[1]).toEqual({ hop: 'order.placed → inventory.reserved', count: 3, p50: 30, p99: 1000, max: 1000 });
    expect(hops[2]).toEqual({ hop: 'inventory.reserved → order.confirmed', count: 3, p50: 10, p99: 10, max: 10 });
  });
});

describe('bench options', () => {
  it('has defaults, and reads flags that npm turned into npm_config_* variables', () => {
    const env = readSystemBenchEnv([], { npm_config_duration: '7', npm_config_no_floor: 'true' }, '/out');
    expect(env).toMatchObject({ duration: 7, warmup: 45, floorWarmup: 10, concurrency: 128, floor: false, floorConcurrency: 128, outDir: '/out', profile: false });
    expect(readSystemBenchEnv(['--concurrency=8', '--rate=40', '--profile'], {}, '/o')).toMatchObject({ concurrency: 8, floorConcurrency: 8, rate: 40, profile: true });
    expect(readSystemBenchEnv(['--warmup=0', '--floor-warmup=0'], {}, '/o')).toMatchObject({ warmup: 0, floorWarmup: 0 });
  });

  it('refuses bad values and unknown flags with the usage', () => {
    expect(() => readSystemBenchEnv(['--duration=-1'], {}, '/o')).toThrow(/--duration must be a positive number/);
    expect(() => readSystemBenchEnv(['--nope'], {}, '/o')).toThrow();
  });
});

describe('memory from /metrics', () => {
  it('reads process_resident_memory_bytes in MB', () => {
    const text = '# HELP process_resident_memory_bytes x\nprocess_resident_memory_bytes 104857600\nnodejs_heap 1\n';
    expect(rssFromMetrics(text)).toBe(100);
    expect(rssFromMetrics('nothing')).toBeUndefined();
  });

  it('turns CPU seconds per process into milliseconds per order and the rate they allow', () => {
    const c = cpuPerOrder({ order: 1.2, inventory: 0.6, nats: 0.3, postgres: 0.9 }, 100, 2);
    expect(c).toEqual({ byProcess: { order: 12, inventory: 6, nats: 3, postgres: 9 }, totalMs: 30, boundPerSecond: 66.7 });
    expect(cpuPerOrder({ order: 1 }, 0, 2)).toBeUndefined();
  });
});

describe('npm run bench:watch', () => {
  it("watches the service streams of a bench's stack, and no others", () => {
    for (const s of serviceStreams('bench_23c22fe9')) expect(isBenchStackStream(s.name)).toBe(true);
    for (const s of serviceStreams()) expect(isBenchStackStream(s.name)).toBe(false);
    expect(isBenchStackStream('BENCH_FLOOR_bench_floor_42')).toBe(false);
    expect(isBenchStackStream('ORDER_t_1a2b')).toBe(false);
  });
});

describe('metricSamples', () => {
  it('reads the labelled samples of one metric, and no other', () => {
    const text = [
      '# HELP messaging_messages_consumed_total x',
      'messaging_messages_consumed_total{consumer="a",outcome="processed"} 12',
      'messaging_messages_consumed_total_other{consumer="a"} 3',
      'messaging_pull_blocked_seconds_total{consumer="a"} 0.25',
    ].join('\n');
    expect(metricSamples(text, 'messaging_messages_consumed_total')).toEqual([{ labels: { consumer: 'a', outcome: 'processed' }, value: 12 }]);
    expect(metricSamples(text, 'messaging_pull_blocked_seconds_total')).toEqual([{ labels: { consumer: 'a' }, value: 0.25 }]);
  });
});

// npm run bench: the whole system under load, next to the raw floor of the same NATS and Postgres.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Profiler } from 'node:inspector';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import pg from 'pg';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { serviceStreams } from '@orderflow/contracts';
import { startInfra } from '@orderflow/testkit';
import { cpuSince, cpuSnapshot, type CpuUsage } from '../cpu.js';
import { formatProfile, summarize as summarizeProfile } from '../profile.js';
import { readSystemBenchEnv, usage, type SystemBenchEnv } from './env.js';
import { rawFloor, type FloorResult } from './floor.js';
import { FinalEvents, runPhase, seedBenchProduct, type PhaseResult } from './load.js';
import { procCpuSeconds, procWriteCalls, sampleServices, type ServiceUsage } from './memory.js';
import { SERVICES, startStack, targetStack, type RunningStack } from './stack.js';
import { cpuPerOrder, histogramSvg, perSecond, perTenSeconds, metricSamples, slowObservations, summarize, type CpuPerOrder, type LatencySummary } from './stats.js';

interface PhaseReport {
  readonly name: string;
  readonly mode: 'closed' | 'open';
  readonly level: string;
  readonly seconds: number;
  readonly acceptedPerSecond: number;
  readonly confirmedPerSecond: number;
  readonly sent: number;
  readonly accepted: number;
  readonly confirmed: number;
  readonly cancelled: number;
  readonly unsettled: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly latencyMs: LatencySummary;
  readonly acceptLatencyMs: LatencySummary;
  readonly cpu: CpuUsage;
  /** CPU per confirmed order by process (services started by the bench only). */
  readonly cpuPerOrder?: CpuPerOrder | undefined;
  /** Write system calls per confirmed order, by service (services started by the bench only). */
  readonly writesPerOrder?: Readonly<Record<string, number>> | undefined;
  /** Orders per second of sending, with their median and worst latency. */
  readonly perSecond: ReturnType<typeof perSecond>;
  readonly slowest: PhaseResult['slowest'];
  /** Each hop of the flow, p50 / p99 / max ms over the phase's orders. */
  readonly hopsMs: PhaseResult['hops'];
}

const LIMITS = { p99Ms: 500, rssMb: 200, floorRatio: 1 };

function report(p: PhaseResult, cpu: CpuUsage, perOrder?: CpuPerOrder, writesPerOrder?: Record<string, number>): PhaseReport {
  return {
    cpuPerOrder: perOrder,
    writesPerOrder,
    name: p.name,
    mode: p.mode,
    level: p.mode === 'closed' ? `${p.level} in flight` : `${Math.round(p.level)} orders/s offered`,
    seconds: p.seconds,
    acceptedPerSecond: round1(p.accepted / p.seconds),
    confirmedPerSecond: round1(p.confirmedInWindow / p.seconds),
    sent: p.sent,
    accepted: p.accepted,
    confirmed: p.confirmed,
    cancelled: p.cancelled,
    unsettled: p.unsettled,
    errors: p.errors,
    errorSamples: p.errorSamples,
    latencyMs: summarize(p.latenciesMs),
    acceptLatencyMs: summarize(p.acceptMs),
    cpu,
    perSecond: perSecond(p.timeline),
    slowest: p.slowest,
    hopsMs: p.hops,
  };
}

const round1 = (v: number) => Math.round(v * 10) / 10;

async function main(env: SystemBenchEnv): Promise<number> {
  const startedAt = new Date();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const infra = await startInfra();
  const stackLog: string[] = [];
  /** Raw latency samples per phase, for the histogram. */
  const samples = new Map<string, number[]>();
  let stack: RunningStack | undefined;
  const stopAll = async () => {
    await stack?.stop().catch(() => undefined);
    await infra.stop().catch(() => undefined);
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('\ninterrupted: cleaning up');
    void stopAll().then(() => process.exit(130));
  });

  try {
    const nc = await connect({ servers: infra.natsUrl });
    const natsVersion = nc.info?.version ?? '?';
    const admin = new pg.Client({ connectionString: infra.adminDatabaseUrl });
    await admin.connect();
    const pgVersion = ((await admin.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? '?').split(' ')[0]!;
    await admin.end();
    log(`NATS ${natsVersion} at ${infra.natsUrl} (${infra.kind.nats}); PostgreSQL ${pgVersion} (${infra.kind.postgres}); ${cpus().length} cores`);

    // 1. The raw floor, on the same servers, before the stack loads them.
    let floor: FloorResult | undefined;
    let batchedFloor: FloorResult | undefined;
    if (env.floor) {
      const runFloor = async (label: string, batched: boolean): Promise<FloorResult> => {
        const bar = new cliProgress.SingleBar({ format: ` ${label.padEnd(14)} [{bar}] {value}/{total} s | {orders} orders`, hideCursor: true }, cliProgress.Presets.shades_classic);
        const total = env.floorWarmup + env.duration;
        bar.start(total, 0, { orders: 0 });
        const result = await rawFloor({
          natsUrl: infra.natsUrl,
          databaseUrl: infra.adminDatabaseUrl,
          namespace: `bench_floor_${process.pid}${batched ? '_b' : ''}`,
          concurrency: env.floorConcurrency,
          seconds: env.duration,
          warmupSeconds: env.floorWarmup,
          batched,
          onProgress: (orders, elapsed) => bar.update(Math.min(total, Math.floor(elapsed)), { orders }),
        });
        bar.update(total, { orders: result.orders });
        bar.stop();
        return result;
      };
      floor = await runFloor('raw floor', false);
      batchedFloor = await runFloor('batched floor', true);
    }

    // 2. The stack.
    const tStack = performance.now();
    const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
    const profileDir = env.profile && !env.target ? join(env.outDir, `profiles-${stamp}`) : undefined;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    stack = env.target
      ? targetStack(env.target, env.namespace)
      : await startStack({ natsUrl: infra.natsUrl, adminUrl: infra.adminDatabaseUrl, logLevel: env.logLevel, log: (l) => stackLog.push(l), profileDir });
    const stackReadyS = (performance.now() - tStack) / 1000;
    if (!env.target) log(`stack ready in ${stackReadyS.toFixed(1)} s (namespace ${stack.namespace})`);
    await seedBenchProduct(stack.urls.inventory);
    const finals = new FinalEvents(nc, stack.namespace);
    const sampler = sampleServices(
      SERVICES.map((s) => ({ name: s, pid: stack!.pids[s], metricsUrl: `${stack!.urls[s]}/metrics` })),
      1000,
    );

    const phase = async (name: string, mode: 'closed' | 'open', level: number, seconds: number): Promise<PhaseReport> => {
      const label = name.padEnd(14);
      const bar = new cliProgress.SingleBar(
        { format: ` ${label} [{bar}] {value}/{total} s | {accepted} accepted, {confirmed} confirmed, {errors} errors`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.ceil(seconds), 0, { accepted: 0, confirmed: 0, errors: 0 });
      const cpu0 = cpuSnapshot();
      // One /proc reading per service (undefined for a --target stack, whose pids are unknown).
      const perService = (read: (pid: number) => number | undefined) =>
        Object.fromEntries(SERVICES.map((s) => [s, stack!.pids[s] ? read(stack!.pids[s]) : undefined]));
      const svc0 = perService(procCpuSeconds);
      const io0 = perService(procWriteCalls);
      const result = await runPhase({
        name,
        orderUrl: stack!.urls.order,
        finals,
        mode,
        level,
        seconds,
        onTick: (c, s) => bar.update(Math.min(Math.ceil(seconds), Math.floor(s)), { accepted: c.accepted, confirmed: c.confirmed, errors: c.errors }),
      });
      const cpu = cpuSince(cpu0);
      const svc1 = perService(procCpuSeconds);
      const io1 = perService(procWriteCalls);
      const writes: Record<string, number> = {};
      for (const s of SERVICES) {
        const a = io0[s];
        const b = io1[s];
        if (a !== undefined && b !== undefined && result.confirmedInWindow > 0) writes[s] = Math.round(((b - a) / result.confirmedInWindow) * 10) / 10;
      }
      const wall = (performance.now() - cpu0.at) / 1000;
      const used: Record<string, number> = {};
      for (const s of SERVICES) if (svc0[s] !== undefined && svc1[s] !== undefined) used[s] = svc1[s] - svc0[s];
      if (cpu.natsPct !== undefined) used['nats'] = (cpu.natsPct / 100) * wall;
      if (cpu.postgresPct !== undefined) used['postgres'] = (cpu.postgresPct / 100) * wall;
      const perOrder = Object.keys(used).length > 2 ? cpuPerOrder(used, result.confirmedInWindow, cpus().length) : undefined;
      samples.set(name, result.latenciesMs);
      bar.update(Math.ceil(seconds), { accepted: result.accepted, confirmed: result.confirmed, errors: result.errors });
      bar.stop();
      return report(result, cpu, perOrder, Object.keys(writes).length > 0 ? writes : undefined);
    };

    // The warm-up's throughput, per 10 s: it should have levelled off by the end (see `warmup`).
    const warmup = env.warmup > 0 ? perTenSeconds(await phase('warm-up', 'closed', env.concurrency, env.warmup)) : [];
    const max = await phase('max rate', 'closed', env.concurrency, env.duration);
    const rate = env.rate ?? Math.max(1, Math.round(max.confirmedPerSecond / 2));
    const half = await phase(env.rate ? `${rate}/s` : 'half rate', 'open', rate, env.duration);
    const services: ServiceUsage[] = await sampler.stop();
    // Messages per consumer and outcome (processed, duplicate, retried, dead_lettered), from /metrics.
    const consumed: Record<string, Record<string, number>> = {};
    // Messages per consumer that waited over a second to reach the handler (lag), of which in the
    // runner's own queue (queued; the rest waited on the server to deliver them), or in the handler
    // (took): where a stalled hop waited (the whole run, warm-up included).
    const overASecond: Record<string, { lag: number; queued: number; took: number; pullBlockedS: number }> = {};
    const slow = (consumer: string) => (overASecond[consumer] ??= { lag: 0, queued: 0, took: 0, pullBlockedS: 0 });
    // Each service's longest event-loop delay since it started (prom-client's monitorEventLoopDelay,
    // reset at each scrape, and the bench scrapes only now): a process that stopped reading its
    // sockets for a while shows here.
    const loopDelayMaxMs: Record<string, number> = {};
    for (const s of SERVICES) {
      const text = await fetch(`${stack.urls[s]}/metrics`).then((r) => r.text()).catch(() => '');
      const delay = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})?\s+([0-9.e+-]+)/m.exec(text);
      if (delay) loopDelayMaxMs[s] = Math.round(Number(delay[1]) * 1000);
      for (const [consumer, n] of Object.entries(slowObservations(text, 'messaging_message_lag_seconds', '1'))) slow(consumer).lag = n;
      for (const [consumer, n] of Object.entries(slowObservations(text, 'messaging_message_queued_seconds', '1'))) slow(consumer).queued = n;
      for (const [consumer, n] of Object.entries(slowObservations(text, 'messaging_message_duration_seconds', '1'))) slow(consumer).took = n;
      // Time its pull loops waited for room in the runner's queue (messages then wait in the fetch, unseen by `queued`).
      for (const { labels, value } of metricSamples(text, 'messaging_pull_blocked_seconds_total')) {
        if (labels['consumer'] !== undefined) slow(labels['consumer']).pullBlockedS = Math.round(value * 10) / 10;
      }
      for (const { labels, value } of metricSamples(text, 'messaging_messages_consumed_total')) {
        (consumed[labels['consumer'] ?? '?'] ??= {})[labels['outcome'] ?? '?'] = value;
      }
    }
    // What each durable consumer still had to do when the load stopped: a consumer that cannot
    // keep up shows here (its work spills into the next phase), not in the order latencies.
    const backlog: Record<string, number> = {};
    const jsm = await jetstreamManager(nc);
    for (const stream of serviceStreams(stack.namespace)) {
      const list = await jsm.consumers.list(stream.name).next().catch(() => []);
      for (const c of list) backlog[c.name] = c.num_pending + c.num_ack_pending;
    }
    finals.close();
    await nc.close();

    // 3. Results.
    const ratio = floor ? max.confirmedPerSecond / floor.ordersPerSecond : undefined;
    const checks = [
      ...(ratio !== undefined ? [{ check: `confirmed/s ≥ ${LIMITS.floorRatio * 100}% of the raw floor`, pass: ratio >= LIMITS.floorRatio, value: `${(ratio * 100).toFixed(0)}%` }] : []),
      { check: `p99 POST→confirmed ≤ ${LIMITS.p99Ms} ms at ${env.rate ? `${rate}/s` : 'half the max rate'}`, pass: half.latencyMs.p99 <= LIMITS.p99Ms, value: `${half.latencyMs.p99} ms` },
      ...(services.some((s) => s.peakRssMb > 0)
        ? [{ check: `every service ≤ ${LIMITS.rssMb} MB RSS`, pass: services.every((s) => s.peakRssMb <= LIMITS.rssMb), value: `max ${Math.max(...services.map((s) => s.peakRssMb))} MB` }]
        : []),
      ...(Object.keys(backlog).length > 0
        ? [
            {
              check: 'every consumer caught up when the load stopped',
              pass: Object.values(backlog).every((n) => n === 0),
              value: Object.entries(backlog)
                .filter(([, n]) => n > 0)
                .map(([c, n]) => `${c} ${n} behind`)
                .join(', ') || 'none behind',
            },
          ]
        : []),
      { check: 'no errors, every order settled', pass: [max, half].every((p) => p.errors === 0 && p.unsettled === 0 && p.cancelled === 0), value: `${max.errors + half.errors} errors, ${max.unsettled + half.unsettled} unsettled` },
    ];

    const out: string[] = [''];
    out.push(`System: ${stack.urls.order}${env.target ? ' (target)' : ' (started by the bench)'}; NATS ${natsVersion}, PostgreSQL ${pgVersion}, ${cpus().length} cores, Node ${process.version}`);
    if (floor) {
      out.push('', `Raw floor: ${floor.ordersPerSecond.toFixed(1)} orders/s (${floor.orders} orders in ${floor.seconds.toFixed(1)} s, ${floor.concurrency} at once; per order ${floor.commitsPerOrder} Postgres commits + ${floor.publishesPerOrder} JetStream publishes, each awaited, + ${floor.deliveriesPerOrder} deliveries, each acked; one message at a time)`);
    }
    if (batchedFloor) {
      out.push(`Batched floor: ${batchedFloor.ordersPerSecond.toFixed(1)} orders/s (the same work per order, but each handler step commits, publishes and acks whatever arrived while its last batch was in flight: ${batchedFloor.meanBatch.toFixed(1)} messages per commit on average) — what batching could at best reach on these servers`);
    }
    if (warmup.length > 0) out.push(`Warm-up (${env.warmup} s at ${env.concurrency} in flight, not recorded): ${warmup.join(', ')} confirmed orders/s per 10 s`);
    out.push('');
    out.push('phase          load                     accepted/s  confirmed/s   p50 ms   p90 ms   p99 ms   max ms  errors  unsettled  CPU: machine, postgres, nats, bench');
    for (const p of [max, half]) {
      out.push(
        `${p.name.padEnd(14)} ${p.level.padEnd(24)} ${String(p.acceptedPerSecond).padStart(10)}  ${String(p.confirmedPerSecond).padStart(11)}  ${String(p.latencyMs.p50).padStart(7)}  ${String(p.latencyMs.p90).padStart(7)}  ${String(p.latencyMs.p99).padStart(7)}  ${String(p.latencyMs.max).padStart(7)}  ${String(p.errors).padStart(6)}  ${String(p.unsettled).padStart(9)}  ${p.cpu.machinePct ?? '?'}%, ${p.cpu.postgresPct ?? '?'}%, ${p.cpu.natsPct ?? '?'}%, ${p.cpu.nodePct}%`,
      );
    }
    if (ratio !== undefined) out.push('', `Throughput vs raw floor: ${max.confirmedPerSecond} / ${floor!.ordersPerSecond.toFixed(1)} = ${(ratio * 100).toFixed(0)}%`);
    if (batchedFloor) out.push(`Throughput vs batched floor: ${max.confirmedPerSecond} / ${batchedFloor.ordersPerSecond.toFixed(1)} = ${((max.confirmedPerSecond / batchedFloor.ordersPerSecond) * 100).toFixed(0)}%`);
    out.push('', '(CPU: machine = busy share of all cores; the others in % of one core)');
    if (floor?.cpuPerOrder) {
      const c = floor.cpuPerOrder;
      out.push(`CPU per order, raw floor: ${Object.entries(c.byProcess).map(([k, ms]) => `${k} ${ms}`).join(', ')} = ${c.totalMs} ms`);
    }
    if (batchedFloor?.cpuPerOrder) {
      const c = batchedFloor.cpuPerOrder;
      out.push(`CPU per order, batched floor: ${Object.entries(c.byProcess).map(([k, ms]) => `${k} ${ms}`).join(', ')} = ${c.totalMs} ms`);
    }
    for (const p of [max, half]) {
      const c = p.cpuPerOrder;
      if (!c) continue;
      const parts = Object.entries(c.byProcess).map(([k, ms]) => `${k} ${ms}`);
      out.push(`CPU per confirmed order, ${p.name}: ${parts.join(', ')} = ${c.totalMs} ms; ${cpus().length} cores allow ≤ ${c.boundPerSecond} orders/s at that cost`);
    }
    if (max.writesPerOrder) {
      const w = Object.entries(max.writesPerOrder);
      out.push(`write syscalls per confirmed order, max rate (round trips and NATS flushes): ${w.map(([k, n]) => `${k} ${n}`).join(', ')} = ${Math.round(w.reduce((a, [, n]) => a + n, 0) * 10) / 10}`);
    }
    out.push('', 'service        peak RSS MB   CPU s   loop delay max ms');
    for (const s of services) {
      out.push(`${s.name.padEnd(14)} ${String(s.peakRssMb).padStart(11)}   ${String(s.cpuSeconds ?? '-').padEnd(5)}   ${loopDelayMaxMs[s.name] ?? '-'}`);
    }
    out.push('', 'consumer                         ' + ['processed', 'duplicate', 'retried', 'dead_lettered', 'behind at end', 'lag > 1 s', 'queued > 1 s', 'took > 1 s', 'pull wait s'].map((o) => o.padStart(14)).join(''));
    for (const [consumer, outcomes] of Object.entries(consumed).sort()) {
      const counts = ['processed', 'duplicate', 'retried', 'dead_lettered'].map((o) => String(outcomes[o] ?? 0).padStart(14));
      const over = overASecond[consumer];
      const slowCounts = [over?.lag, over?.queued, over?.took, over?.pullBlockedS].map((n) => String(n ?? '-').padStart(14)).join('');
      out.push(`${consumer.padEnd(32)} ${counts.join('')}${String(backlog[consumer] ?? '-').padStart(14)}${slowCounts}`);
    }
    out.push(
      "(lag: from JetStream storing a message to the runner taking it up; queued: the part of it in the runner's queue; took: from then to its ack; pull wait: seconds the pull loops waited for room in that queue, delivered messages waiting in the fetch meanwhile; whole run)",
    );
    out.push('');
    for (const c of checks) out.push(`${c.pass ? 'PASS' : 'MISS'}  ${c.check}: ${c.value}`);
    for (const p of [max, half]) {
      const o = p.slowest[0];
      if (o) out.push(`slowest order (${p.name}): ${o.events.map((e) => `${e.type} +${e.atMs}`).join(', ')} ms`);
    }
    for (const p of [max, half]) {
      // Hops of at least 1% of the orders (the JSON has them all): a reordering seen once is noise here.
      const shown = p.hopsMs.filter((h) => h.count * 100 >= Math.max(...p.hopsMs.map((x) => x.count)));
      out.push(`hops (${p.name}), p50 / p99 / max ms: ${shown.map((h) => `${h.hop} ${h.p50} / ${h.p99} / ${h.max}`).join(', ')}`);
    }
    for (const p of [max, half]) for (const e of p.errorSamples) out.push(`  error sample (${p.name}): ${e}`);

    mkdirSync(env.outDir, { recursive: true });
    if (profileDir) {
      // The profiles are written as the processes exit.
      await stack.stop();
      const byPid = new Map(Object.entries(stack.pids).map(([name, pid]) => [String(pid), name]));
      for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
        const name = byPid.get(file.split('.')[3] ?? '');
        if (!name) continue;
        const summary = summarizeProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as Profiler.Profile, join(profileDir, file));
        out.push('', formatProfile(name, summary));
      }
    }
    const jsonFile = join(env.outDir, `system-${stamp}.json`);
    const svgFile = join(env.outDir, `system-${stamp}-latency.svg`);
    writeFileSync(
      jsonFile,
      `${JSON.stringify(
        {
          startedAt: startedAt.toISOString(),
          argv: process.argv.slice(2),
          machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', node: process.version },
          servers: { nats: natsVersion, postgres: pgVersion, natsSource: infra.kind.nats, postgresSource: infra.kind.postgres },
          config: env,
          stackReadySeconds: env.target ? undefined : round1(stackReadyS),
          floor,
          batchedFloor,
          warmupPerTenSeconds: warmup,
          phases: [max, half],
          ratio,
          services,
          loopDelayMaxMs,
          consumed,
          overASecond,
          backlog,
          checks,
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(
      svgFile,
      histogramSvg(`POST /orders → order.confirmed (${startedAt.toISOString().slice(0, 16)})`, [
        { label: `max rate: ${max.level}, ${max.confirmedPerSecond} confirmed/s`, samples: samples.get(max.name) ?? [] },
        { label: `${half.name}: ${half.level}`, samples: samples.get(half.name) ?? [] },
      ]),
    );
    const logFile = join(env.outDir, `system-${stamp}-stack.log`);
    writeFileSync(logFile, `${stackLog.join('\n')}\n`);
    out.push('', `results: ${jsonFile}`, `latency histogram: ${svgFile}`, `stack log (LOG_LEVEL=${env.logLevel}): ${logFile}`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } catch (err) {
    if (!interrupted) {
      log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (stackLog.length) log(`last lines of the stack:\n${stackLog.slice(-30).join('\n')}`);
    }
    return 1;
  } finally {
    await stopAll();
  }
}

const defaultOut = fileURLToPath(new URL('../../../../bench-results/', import.meta.url));
let env: SystemBenchEnv | 'help';
try {
  env = readSystemBenchEnv(process.argv.slice(2), process.env, defaultOut);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
if (env === 'help') {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
process.exit(await main(env));

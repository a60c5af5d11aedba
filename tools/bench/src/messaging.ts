// `npm run bench:messaging`: how fast the outbox relay and the consumer runner are, next to the
// raw JetStream and Postgres floors measured in the same run on the same servers.
import { cpus } from 'node:os';
import { backgroundLoad } from './cpu.js';
import { join } from 'node:path';
import { readBenchEnv, usage, type BenchEnv } from './env.js';
import { createBenchInfra, type BenchInfra } from './infra.js';
import type { Figure } from './measure.js';
import { rawJetStream, rawPostgres } from './raw.js';
import { relayConcurrent, relayDrain } from './relay.js';
import { formatTable, judge, writeJson, type RunInfo } from './report.js';
import { prepublish, runnerRun } from './runner.js';

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function run(env: BenchEnv, infra: BenchInfra, stamp: string): Promise<Figure[]> {
  const n = env.events;
  const figures: Figure[] = [];
  const profileFile = (what: string) => (env.profile ? join(env.outDir, `messaging-${stamp}-${what}.cpuprofile`) : undefined);
  const push = (fs: readonly Figure[]) => {
    for (const f of fs) {
      figures.push(f);
      log(`${f.label}: ${Math.round(f.rate).toLocaleString('en-US')} events/s (${f.seconds.toFixed(2)} s)`);
    }
  };

  if (env.scenarios.includes('raw')) {
    log(`raw JetStream floor (${n} events)`);
    push(await rawJetStream(infra, n, env.window));
    log(`raw Postgres floor (${n} events)`);
    push(await rawPostgres(infra, n, env.pgConnections));
  }

  if (env.scenarios.includes('relay')) {
    log(`relay (${n} events per run)`);
    push(await relayDrain(infra, n, { withEnqueueFigure: true, profileFile: profileFile('relay') }));
    for (const batchSize of env.relayBatches) push(await relayDrain(infra, n, { batchSize }));
    if (infra.jsNoTraces) push(await relayDrain(infra, n, { noAsyncTraces: true }));
    push(await relayConcurrent(infra, n));
  }

  if (env.scenarios.includes('runner')) {
    const available = Math.max(n, env.singleEvents);
    log(`runner: publishing ${available} order.placed`);
    await prepublish(infra, available);
    push([await runnerRun(infra, { n, available, mode: 'batch', profileFile: profileFile('runner-batch') })]);
    for (const batchSize of env.runnerBatches) push([await runnerRun(infra, { n, available, mode: 'batch', batchSize })]);
    push([
      await runnerRun(infra, { n: env.singleEvents, available, mode: 'single', profileFile: profileFile('runner-single') }),
    ]);
  }
  return figures;
}

async function main(): Promise<number> {
  const env = readBenchEnv();
  if (env === 'help') {
    console.log(usage);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const stamp = startedAt.replace(/[:.]/g, '-');
  log(`NATS ${env.natsUrl}, Postgres ${redact(env.databaseUrl)}; ${env.events} events per run`);
  const background = await backgroundLoad();
  if (background !== undefined && background > 15) {
    log(`warning: the machine is already ${background}% busy; figures will be noisy (see README, "Noise")`);
  }
  const infra = await createBenchInfra({ databaseUrl: env.databaseUrl, natsUrl: env.natsUrl, noAsyncTraces: env.noAsyncTraces });
  log(`database ${infra.dbName}, namespace ${infra.ns}`);
  let interrupted = false;
  const onSignal = () => {
    // Drop the database and streams even when interrupted; a second Ctrl-C exits at once.
    if (interrupted) process.exit(130);
    interrupted = true;
    log('interrupted: cleaning up');
    void infra.close().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let figures: Figure[];
  try {
    figures = await run(env, infra, stamp);
  } catch (err) {
    // Interrupted: the clean-up pulled the streams from under the running scenario; not an error.
    if (interrupted) return new Promise<number>(() => {});
    throw err;
  } finally {
    await infra.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const cpu = cpus();
  const info: RunInfo = {
    startedAt,
    argv: process.argv.slice(2),
    machine: { cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', node: process.version, platform: process.platform },
    servers: infra.serverInfo,
    backgroundLoadPct: background ?? null,
    config: { ...env, databaseUrl: redact(env.databaseUrl), natsUrl: redact(env.natsUrl) },
  };
  const judged = judge(figures);
  console.log(formatTable(info, judged));
  const file = writeJson(env.outDir, info, judged);
  console.log(`\nresults: ${file}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);

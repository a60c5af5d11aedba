// The bench's only reader of process.env and process.argv.

/** Scenario groups that `--only=` can select. */
export const Scenario = { raw: 'raw', relay: 'relay', runner: 'runner' } as const;
export type Scenario = (typeof Scenario)[keyof typeof Scenario];
const scenarios: readonly Scenario[] = [Scenario.raw, Scenario.relay, Scenario.runner];

export interface BenchEnv {
  /** Admin URL: the bench creates (and drops) a database of its own through it. */
  readonly databaseUrl: string;
  readonly natsUrl: string;
  /** Events per measured run (`--events=`). */
  readonly events: number;
  /** Events for the runner's `single` mode, which is one commit per event (`--single-events=`). */
  readonly singleEvents: number;
  /** Relay batch sizes measured besides the relay's default (`--relay-batch=200,5000`; `--relay-batch=` for none). */
  readonly relayBatches: readonly number[];
  /** Runner batch sizes measured besides the runner's default in batch mode (`--runner-batch=500`). */
  readonly runnerBatches: readonly number[];
  /** Concurrent connections of the raw Postgres floor (`--pg-connections=`). */
  readonly pgConnections: number;
  /** PubAcks in flight in the pipelined JetStream floor (`--window=`). */
  readonly window: number;
  /** Scenario groups to run (`--scenarios=raw,relay,runner`; all by default). */
  readonly scenarios: readonly Scenario[];
  /** Record a CPU profile of each timed relay/runner phase (`--profile`); slows the measured runs. */
  readonly profile: boolean;
  /** Connect with nats.js `noAsyncTraces` (`--no-async-traces`); the default is nats.js's (traces on). */
  readonly noAsyncTraces: boolean;
  /** Where results go (`--out=`). */
  readonly outDir: string;
}

/**
 * Flags from argv, else from `npm_config_<flag>`: `npm run bench:messaging -- --events=2000` at the
 * root goes through a nested `npm run -w`, which turns the flags into npm config variables.
 */
function flags(argv: readonly string[], env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument ${arg}; flags look like --events=20000`);
    out.set(m[1]!, m[2] ?? '');
  }
  for (const k of known) {
    const v = env[`npm_config_${k.replace(/-/g, '_')}`];
    if (!out.has(k) && v !== undefined) out.set(k, v === 'true' ? '' : v);
  }
  return out;
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer; got "${value}"`);
  return n;
}

function intList(name: string, value: string | undefined, fallback: readonly number[]): readonly number[] {
  if (value === undefined) return fallback;
  if (value === '') return [];
  return value.split(',').map((v) => positiveInt(name, v.trim(), 0));
}

const known = new Set([
  'events',
  'single-events',
  'relay-batch',
  'runner-batch',
  'pg-connections',
  'window',
  'scenarios',
  'profile',
  'no-async-traces',
  'out',
  'help',
]);

export const usage = `npm run bench:messaging -- [--events=20000] [--single-events=N] [--relay-batch=200]
    [--runner-batch=500] [--pg-connections=8] [--window=1000] [--scenarios=raw,relay,runner] [--profile]
    [--no-async-traces] [--out=DIR]
env: NATS_URL (nats://127.0.0.1:4222), DATABASE_URL (admin URL, postgres://postgres@127.0.0.1:5432/postgres)`;

export function readBenchEnv(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchEnv | 'help' {
  const f = flags(argv, env);
  if (f.has('help')) return 'help';
  for (const k of f.keys()) if (!known.has(k)) throw new Error(`unknown flag --${k}\n${usage}`);
  const events = positiveInt('events', f.get('events'), 20_000);
  const selected = f.has('scenarios')
    ? f
        .get('scenarios')!
        .split(',')
        .map((s) => {
          if (!scenarios.includes(s as Scenario)) throw new Error(`--scenarios takes ${scenarios.join(', ')}; got "${s}"`);
          return s as Scenario;
        })
    : scenarios;
  return Object.freeze({
    databaseUrl: env['DATABASE_URL']?.trim() || 'postgres://postgres@127.0.0.1:5432/postgres',
    natsUrl: env['NATS_URL']?.trim() || 'nats://127.0.0.1:4222',
    events,
    // One commit per event: a quarter of the events keeps the whole bench near a minute.
    singleEvents: positiveInt('single-events', f.get('single-events'), Math.max(1, Math.min(events, Math.ceil(events / 4)))),
    relayBatches: intList('relay-batch', f.get('relay-batch'), [200]),
    runnerBatches: intList('runner-batch', f.get('runner-batch'), []),
    pgConnections: positiveInt('pg-connections', f.get('pg-connections'), 8),
    window: positiveInt('window', f.get('window'), 1000),
    scenarios: selected,
    profile: f.has('profile'),
    noAsyncTraces: f.has('no-async-traces'),
    outDir: f.get('out') || new URL('../../../bench-results/', import.meta.url).pathname,
  });
}

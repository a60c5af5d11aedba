import { parseArgs } from 'node:util';

/** How `npm run bench` runs; read from argv (or npm_config_* when flags went through npm -w). */
export interface SystemBenchEnv {
  /** Seconds of each measured phase. */
  readonly duration: number;
  /**
   * Seconds of unrecorded load at the max-rate concurrency before the first phase. Until the JIT
   * has compiled the services' hot code they spend more CPU per order: on a 2-core host they got
   * from ~150 to ~200 confirmed orders/s over their first 40 s (docs/performance.md, fifth pass).
   */
  readonly warmup: number;
  /** Seconds of uncounted load before each floor is measured (its own warm-up). */
  readonly floorWarmup: number;
  /** Orders in flight in the max-rate phase (closed loop: each waits for its final event). */
  readonly concurrency: number;
  /** An offered rate (orders/s) instead of half the measured maximum for the latency phase. */
  readonly rate: number | undefined;
  /** Run the raw floor and the batched floor (default) — `--no-floor` skips both. */
  readonly floor: boolean;
  /** Orders in flight in the raw and batched floors (default: `concurrency`). */
  readonly floorConcurrency: number;
  /** Bench a running stack: the order service's URL (the others on the next four ports). */
  readonly target: string | undefined;
  /** NATS_NAMESPACE of the target stack. */
  readonly namespace: string;
  /** LOG_LEVEL of the services the bench starts. */
  readonly logLevel: string;
  /** CPU-profile the services (`--profile`): summaries printed, .cpuprofile files kept. */
  readonly profile: boolean;
  readonly outDir: string;
}

export const usage = `npm run bench -- [--duration=20] [--warmup=45] [--concurrency=128] [--rate=N]
    [--floor-concurrency=N] [--floor-warmup=10] [--no-floor] [--target=http://127.0.0.1:3000 [--namespace=NS]]
    [--log-level=warn] [--profile] [--out=DIR]
env: NATS_URL and DATABASE_URL (admin URL) when set; else what the tests use (containers or local servers)`;

const options = {
  duration: { type: 'string' },
  warmup: { type: 'string' },
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  'floor-concurrency': { type: 'string' },
  'floor-warmup': { type: 'string' },
  'no-floor': { type: 'boolean' },
  target: { type: 'string' },
  namespace: { type: 'string' },
  'log-level': { type: 'string' },
  profile: { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean' },
} as const;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number; got "${value}"\n${usage}`);
  return n;
}

export function readSystemBenchEnv(argv: readonly string[], env: NodeJS.ProcessEnv, defaultOut: string): SystemBenchEnv | 'help' {
  const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  // `npm run bench -- --duration=5` from the root reaches this script through `npm run -w`, which
  // turns unknown flags into npm_config_* variables.
  const get = (k: keyof typeof options): string | boolean | undefined =>
    values[k] ?? (env[`npm_config_${k.replace(/-/g, '_')}`] === undefined ? undefined : env[`npm_config_${k.replace(/-/g, '_')}`] === 'true' ? true : env[`npm_config_${k.replace(/-/g, '_')}`]);
  if (get('help')) return 'help';
  const str = (k: keyof typeof options) => {
    const v = get(k);
    return typeof v === 'string' ? v : undefined;
  };
  // 128: the system batches, so it runs cheaper per order the more is in flight; at 64 it was
  // not yet at its maximum (docs/performance.md, fourth pass). The floors run at the same count.
  const concurrency = Math.round(positive('concurrency', str('concurrency'), 128));
  return Object.freeze({
    duration: positive('duration', str('duration'), 20),
    warmup: str('warmup') === '0' ? 0 : positive('warmup', str('warmup'), 45),
    floorWarmup: str('floor-warmup') === '0' ? 0 : positive('floor-warmup', str('floor-warmup'), 10),
    concurrency,
    rate: str('rate') === undefined ? undefined : positive('rate', str('rate'), 1),
    floor: !get('no-floor'),
    floorConcurrency: Math.round(positive('floor-concurrency', str('floor-concurrency'), concurrency)),
    target: str('target'),
    namespace: str('namespace') ?? '',
    logLevel: str('log-level') ?? 'warn',
    profile: get('profile') === true,
    outDir: str('out') ?? defaultOut,
  });
}

import { spawn } from 'node:child_process';
import type { StackEnv } from './env.js';
import { httpOk, isPortFree, waitUntil } from './net.js';
import type { Output } from './output.js';
import { track, type Tracked } from './processes.js';

/** The five services, in start and banner order. */
export const SERVICE_NAMES = ['order', 'inventory', 'payment', 'shipping', 'notification'] as const;

export type ServiceName = (typeof SERVICE_NAMES)[number];

const READY_TIMEOUT_MS = 120_000;

/** `ORDER_PORT`... (contract defaults 3000–3004). */
export function servicePorts(env: StackEnv): Readonly<Record<ServiceName, number>> {
  return {
    order: env.ORDER_PORT,
    inventory: env.INVENTORY_PORT,
    payment: env.PAYMENT_PORT,
    shipping: env.SHIPPING_PORT,
    notification: env.NOTIFICATION_PORT,
  };
}

/**
 * Every problem with the services' ports, before anything starts: a port used twice, or one
 * something else listens on (the services bind 0.0.0.0). Empty when all are usable.
 */
export async function portProblems(ports: Readonly<Record<ServiceName, number>>): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Map<number, ServiceName>();
  for (const name of SERVICE_NAMES) {
    const port = ports[name];
    const variable = `${name.toUpperCase()}_PORT`;
    const other = seen.get(port);
    if (other !== undefined) problems.push(`${name} and ${other} both got port ${port}; set ${variable} to another one`);
    else if (!(await isPortFree(port, '0.0.0.0'))) {
      problems.push(`port ${port} (${name}) is in use: stop whatever listens there (another npm start?) or set ${variable}`);
    }
    seen.set(port, name);
  }
  return problems;
}

/**
 * V8's old-space limit for every service process. Unset, V8 sizes it from the machine's memory
 * (gigabytes here) and lets garbage pile up: the order service peaked at 139–190 MB under the
 * benchmark, where its live heap is a few tens of MB. At 128 MB it peaks at ~130 MB, with the
 * same CPU per order (docs/performance.md). The images run with the same flag
 * (infra/docker/Dockerfile).
 */
export const SERVICE_HEAP_FLAGS = ['--max-old-space-size=128'] as const;

/** The node arguments of one service: the heap limit, `STACK_NODE_ARGS`, then the entry point. */
export function serviceNodeArgs(name: ServiceName, env: Pick<StackEnv, 'STACK_NODE_ARGS' | 'STACK_SERVICE_CODE'>): string[] {
  const extra = env.STACK_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const entry =
    env.STACK_SERVICE_CODE === 'dist'
      ? [`services/${name}/dist/main.js`]
      : ['--conditions=@orderflow/source', '--import', 'tsx', `services/${name}/src/main.ts`];
  return [...SERVICE_HEAP_FLAGS, ...extra, ...entry];
}

/** One service's node process. */
export interface ServiceProcess {
  readonly name: ServiceName;
  readonly port: number;
  readonly process: Tracked;
}

/**
 * Starts `services/<name>/src/main.ts` with node + tsx from the repo root: the service's own
 * `node` process, so SIGTERM reaches it directly (npm in between forwards signals unreliably).
 * Its stdout/stderr lines go to `out` under its name.
 *
 * Hazard: a detached child outlives a runner killed with SIGKILL (nothing else can stop it);
 * the next run then finds the port in use and says so.
 */
export function startServiceProcess(options: {
  name: ServiceName;
  port: number;
  natsUrl: string;
  databaseUrl: string;
  env: StackEnv;
  repoRoot: string;
  out: Output;
}): ServiceProcess {
  const { name, out } = options;
  const child = spawn(process.execPath, serviceNodeArgs(name, options.env), {
    cwd: options.repoRoot,
    // LOG_LEVEL, SMTP_URL, NATS_NAMESPACE... pass through; these three are the runner's.
    env: { ...options.env.inherited, NATS_URL: options.natsUrl, DATABASE_URL: options.databaseUrl, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a terminal's Ctrl-C reaches only the runner, which stops the services
    // with one SIGTERM each (a second Ctrl-C: SIGKILL) instead of racing them with the tty's.
    detached: true,
  });
  return { name, port: options.port, process: track(name, child, (line, stream) => out.child(name, line, stream)) };
}

/** Resolves once `GET /health/ready` answers 200 (NATS and the database reachable). */
export function waitForReady(service: ServiceProcess, signal: AbortSignal): Promise<void> {
  return waitUntil(service.name, httpOk(`http://127.0.0.1:${service.port}/health/ready`), {
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 250,
    signal,
  });
}

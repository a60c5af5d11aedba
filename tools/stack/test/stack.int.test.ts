// `npm start` end to end, against the NATS and Postgres of NATS_URL / DATABASE_URL (what CI
// exports; the defaults below otherwise). Kept cheap: no nats-server or embedded Postgres of
// its own; a random NATS namespace, database prefix and data dir keep it apart from anything
// else on those servers (including a developer's own `npm start`).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { deadLetterStream, serviceStreams } from '@orderflow/contracts';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { isPortFree } from '../src/net.js';
import { isAlive } from '../src/processes.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NATS_URL = process.env['NATS_URL'] || 'nats://127.0.0.1:4222';
const DATABASE_URL = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const SERVICES = ['order', 'inventory', 'payment', 'shipping', 'notification'] as const;
const PORTS = { order: 3100, inventory: 3101, payment: 3102, shipping: 3103, notification: 3104 } as const;
const STOP_BUDGET_MS = 20_000;

const namespace = `stack${randomBytes(4).toString('hex')}`;
const dbPrefix = `${namespace}_`;
let dataDir: string | undefined;
let child: ChildProcess | undefined;
let servicePids: number[] = [];

/** Polls `check` until it returns a value other than undefined. */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** No process left in the process group `pgid` (kill(-pgid, 0) fails with ESRCH). */
function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

afterAll(async () => {
  // Only does something when the test failed halfway: nothing may outlive the run.
  if (child?.pid !== undefined && !groupGone(child.pid)) process.kill(-child.pid, 'SIGKILL');
  for (const pid of servicePids) if (isAlive(pid)) process.kill(-pid, 'SIGKILL');

  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  for (const stream of [...serviceStreams(namespace), deadLetterStream(namespace)]) await jsm.streams.delete(stream.name).catch(() => false);
  await nc.close();
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  for (const name of SERVICES) await admin.query(`drop database if exists ${admin.escapeIdentifier(`${dbPrefix}${name}`)} with (force)`);
  await admin.end();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('runs the five services until ready, fulfils an order, and stops cleanly on Ctrl-C', async () => {
    for (const port of Object.values(PORTS)) expect(await isPortFree(port, '0.0.0.0'), `port ${port} must be free for this test`).toBe(true);
    dataDir = await mkdtemp(join(tmpdir(), 'orderflow-stack-test-'));

    const started = Date.now();
    // Its own process group, like a terminal's foreground job: the SIGINT below goes to the
    // whole group (npm and the runner), exactly as Ctrl-C does.
    const proc = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NATS_URL,
        DATABASE_URL,
        NATS_NAMESPACE: namespace,
        STACK_DB_PREFIX: dbPrefix,
        STACK_DATA_DIR: dataDir,
        ORDER_PORT: String(PORTS.order),
        INVENTORY_PORT: String(PORTS.inventory),
        PAYMENT_PORT: String(PORTS.payment),
        SHIPPING_PORT: String(PORTS.shipping),
        NOTIFICATION_PORT: String(PORTS.notification),
        LOG_LEVEL: 'info',
        NO_COLOR: '1',
      },
    });
    child = proc;
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exited = new Promise<void>((resolve) => {
      proc.once('close', (code, signal) => {
        exit = { code, signal };
        resolve();
      });
    });

    try {
      await eventually('the ready banner', () => (output.includes('Orderflow is ready') ? true : exit === undefined ? undefined : false), 120_000).then(
        (ready) => {
          if (!ready) throw new Error(`npm start exited before it was ready: ${JSON.stringify(exit)}`);
        },
      );
    } catch (error) {
      throw new Error(`${String(error)}\n--- output ---\n${output}`, { cause: error });
    }
    const readyMs = Date.now() - started;
    expect(output).toContain(`http://localhost:${PORTS.order}/orders`);
    for (const name of SERVICES) expect(output).toContain(`http://localhost:${PORTS[name]}/docs`);
    servicePids = readFileSync(join(dataDir, 'services.pid'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => Number(line.split(' ')[1]));
    expect(servicePids).toHaveLength(5);
    // Where its NATS is, for npm run trace; gone again after the stop (checked below).
    expect(readFileSync(join(dataDir, 'nats.url'), 'utf8').trim()).toBe(NATS_URL);

    const placed = await fetch(`http://127.0.0.1:${PORTS.order}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': `${namespace}-1` },
      body: JSON.stringify({
        customerId: 'c-42',
        customerEmail: 'ada@example.com',
        items: [{ sku: 'KEYBOARD-01', quantity: 1 }],
        shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
        paymentToken: 'tok_visa',
      }),
    });
    expect(placed.status).toBe(202);
    const { orderId } = (await placed.json()) as { orderId: string };
    const order = await eventually(
      'the order to be confirmed',
      async () => {
        const res = await fetch(`http://127.0.0.1:${PORTS.order}/orders/${orderId}`);
        const body = (await res.json()) as { status: string; amount?: number };
        return body.status === 'PENDING' ? undefined : body;
      },
      30_000,
    );
    expect(order).toMatchObject({ status: 'CONFIRMED', amount: 8900 });
    // The pretty log: one short line per entry, under a fixed-width service column.
    expect(output).toMatch(/^order {8}│ \d\d:\d\d:\d\d\.\d{3} INFO {2}request completed 202 \d+ms correlationId=stack/m);

    const stopAt = Date.now();
    process.kill(-proc.pid!, 'SIGINT');
    await Promise.race([exited, sleep(STOP_BUDGET_MS)]);
    const stopMs = Date.now() - stopAt;
    expect(exit, `npm start still running ${STOP_BUDGET_MS} ms after SIGINT\n${output}`).toBeDefined();
    expect(exit, output).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dataDir, 'nats.url'))).toBe(false);
    expect(output).toMatch(/^stack {8}│ stopped$/m);
    for (const name of SERVICES) expect(output).toMatch(new RegExp(`^${name} +│ .* shutdown complete$`, 'm'));

    // Nothing left: npm's group (runner, tsx's esbuild), each service's own group, the ports.
    await eventually('every process to be gone', () => ([proc.pid!, ...servicePids].every(groupGone) ? true : undefined), 3_000);
    for (const port of Object.values(PORTS)) expect(await isPortFree(port, '0.0.0.0')).toBe(true);
    console.info(`npm start: ready after ${readyMs} ms, stopped ${stopMs} ms after SIGINT`);
  }, 180_000);
});

import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { ensureConsumer, ensureStreams } from '@orderflow/messaging';
import { cpuSince, cpuSnapshot } from '../cpu.js';
import { reservedEvent } from '../events.js';
import { cpuPerOrder, type CpuPerOrder } from './stats.js';

/** The events of one confirmed order, in order: the HTTP step publishes the first, each handler step the next. */
export const FLOOR_STEPS = ['order.placed', 'inventory.reserved', 'payment.authorized', 'shipment.scheduled', 'order.confirmed', 'notification.sent'] as const;

/** Handler steps: inventory, payment, shipping, order, notification — each consumes the event before its own. */
const HANDLER_STEPS = FLOOR_STEPS.length - 1;

export interface FloorResult {
  readonly orders: number;
  readonly seconds: number;
  readonly ordersPerSecond: number;
  readonly commitsPerOrder: number;
  readonly publishesPerOrder: number;
  /** JetStream deliveries (each acked) per order. */
  readonly deliveriesPerOrder: number;
  readonly concurrency: number;
  /** Whether the handler steps took their messages a batch at a time (the batched floor). */
  readonly batched: boolean;
  /** Mean messages per handler-step commit (1 when unbatched). */
  readonly meanBatch: number;
  /** CPU per order of the floor's own process, nats-server and Postgres (where /proc is readable). */
  readonly cpuPerOrder?: CpuPerOrder | undefined;
}

/**
 * The raw floor: per order, only the unavoidable work, unbatched, on the same servers as the
 * system. The HTTP step is one Postgres commit (a single-row autocommit INSERT) and the publish
 * of `order.placed`, awaiting its PubAck. Then each of the five handler steps (inventory,
 * payment, shipping, order, notification) has a durable pull consumer on the previous step's
 * subject; for every message it receives it makes one commit, publishes its own event (~450
 * bytes, `Nats-Msg-Id`, PubAck awaited) and acks the message — each message on its own, never a
 * batch. An order is done when its last event is stored and acked; `concurrency` orders are in
 * flight at once (a closed loop, as the system's max-rate phase), for `seconds`.
 * No HTTP, no JSON, no validation, no inbox or outbox: what a system doing an order's work one
 * message at a time could at best reach on these servers.
 */
export async function rawFloor(options: {
  natsUrl: string;
  /** A database the floor may create a table in. */
  databaseUrl: string;
  namespace: string;
  concurrency: number;
  seconds: number;
  /**
   * Seconds of the same load before `seconds` start counting: orders that finish in them, and the
   * CPU spent in them, are not counted (JIT compilation and pool warm-up are not the floor).
   */
  warmupSeconds?: number;
  /**
   * Batched floor: each handler step takes every message that has arrived while its previous
   * batch was in flight (up to `concurrency`), commits them with one multi-row INSERT, publishes
   * their events pipelined (all PubAcks awaited together) and acks them. Same work per order,
   * fewer commits and round trips: the best a batching system could reach on these servers.
   */
  batched?: boolean;
  /** After every finished order: the orders counted so far and the seconds since the start (warm-up included). */
  onProgress?: (orders: number, elapsedSeconds: number) => void;
}): Promise<FloorResult> {
  const batched = options.batched ?? false;
  const { concurrency } = options;
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: Math.min(concurrency, 32) });
  pool.on('error', () => undefined);
  const nc = await connect({ servers: options.natsUrl, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const stream = `BENCH_FLOOR_${options.namespace}`;
  const prefix = `${options.namespace}.floor`;
  const table = `bench_floor_${options.namespace.replace(/[^a-z0-9_]/gi, '_')}`.toLowerCase();
  await ensureStreams(jsm, [{ name: stream, subjects: [`${prefix}.>`], owner: 'order', description: 'bench raw floor' }]);
  await pool.query(`create table if not exists ${table} (id bigint generated always as identity primary key, order_id uuid not null, step smallint not null, payload text not null)`);
  const body = Buffer.from(JSON.stringify(reservedEvent()), 'utf8');
  const payload = body.toString('utf8');
  const done = new Map<string, () => void>();

  /** One step's unavoidable work: its commit, then its event published and stored. */
  async function step(orderId: string, k: number): Promise<void> {
    await pool.query({ name: 'floor-insert', text: `insert into ${table} (order_id, step, payload) values ($1, $2, $3)`, values: [orderId, k, payload] });
    await js.publish(`${prefix}.${FLOOR_STEPS[k]}.${orderId}`, body, { msgID: randomUUID() });
  }

  /** A batch of one step's messages: one commit for all, their events published together, then acked. */
  async function batchStep(messages: JsMsg[], k: number): Promise<void> {
    const ids = messages.map((m) => m.subject.slice(m.subject.lastIndexOf('.') + 1));
    try {
      await pool.query({
        name: 'floor-insert-batch',
        text: `insert into ${table} (order_id, step, payload) select o, $2, $3 from unnest($1::uuid[]) as o`,
        values: [ids, k, payload],
      });
      await Promise.all(ids.map((orderId) => js.publish(`${prefix}.${FLOOR_STEPS[k]}.${orderId}`, body, { msgID: randomUUID() })));
      for (const m of messages) m.ack();
      if (k === HANDLER_STEPS) for (const orderId of ids) done.get(orderId)?.();
    } catch {
      for (const m of messages) m.nak();
    }
  }
  let batches = 0;
  let batchedMessages = 0;

  // The handler steps: consumer k takes event k-1, commits, publishes event k, acks.
  const iterators: ConsumerMessages[] = [];
  const handled: Promise<void>[] = [];
  for (let k = 1; k <= HANDLER_STEPS; k++) {
    const name = `floor-${k}`;
    await ensureConsumer(jsm, { stream, name, filterSubject: `${prefix}.${FLOOR_STEPS[k - 1]}.>`, maxAckPending: concurrency * 2 });
    const consumer = await js.consumers.get(stream, name);
    const messages = await consumer.consume({ max_messages: concurrency * 2, expires: 2000 });
    iterators.push(messages);
    const handle = async (m: JsMsg) => {
      const orderId = m.subject.slice(m.subject.lastIndexOf('.') + 1);
      try {
        await step(orderId, k);
        m.ack();
        if (k === HANDLER_STEPS) done.get(orderId)?.();
      } catch {
        m.nak();
      }
    };
    const pending: JsMsg[] = [];
    let draining = false;
    const drain = async () => {
      if (draining) return;
      draining = true;
      while (pending.length > 0) {
        const batch = pending.splice(0, concurrency);
        batches += 1;
        batchedMessages += batch.length;
        await batchStep(batch, k);
      }
      draining = false;
    };
    handled.push(
      (async () => {
        if (batched) {
          // Whatever arrives while a batch is in flight becomes the next batch.
          for await (const m of messages) {
            pending.push(m);
            void drain();
          }
        } else {
          // Each message handled on its own as soon as it arrives, concurrently with the others.
          for await (const m of messages) void handle(m);
        }
      })(),
    );
  }

  let orders = 0;
  try {
    // Warm the pool and the connection before timing.
    await Promise.all(Array.from({ length: Math.min(concurrency, 32) }, () => pool.query('select 1')));
    const start = performance.now();
    const warmupMs = (options.warmupSeconds ?? 0) * 1000;
    const t0 = start + warmupMs;
    const deadline = t0 + options.seconds * 1000;
    // The CPU counters are read when the counted window opens.
    let cpu0 = warmupMs > 0 ? undefined : cpuSnapshot();
    const opening = warmupMs > 0 ? setTimeout(() => (cpu0 = cpuSnapshot()), warmupMs) : undefined;
    let last = t0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const orderId = randomUUID();
          const finished = new Promise<void>((resolve) => done.set(orderId, resolve));
          await step(orderId, 0);
          await finished;
          done.delete(orderId);
          last = performance.now();
          if (last > t0 && last <= deadline) orders += 1;
          options.onProgress?.(orders, (last - start) / 1000);
        }
      }),
    );
    clearTimeout(opening);
    const seconds = (Math.min(last, deadline) - t0) / 1000;
    cpu0 ??= cpuSnapshot();
    const cpu = cpuSince(cpu0);
    const wall = (performance.now() - cpu0.at) / 1000;
    const used: Record<string, number> = { floor: (cpu.nodePct / 100) * wall };
    if (cpu.natsPct !== undefined) used['nats'] = (cpu.natsPct / 100) * wall;
    if (cpu.postgresPct !== undefined) used['postgres'] = (cpu.postgresPct / 100) * wall;
    return {
      cpuPerOrder: cpuPerOrder(used, orders, cpus().length),
      orders,
      seconds,
      ordersPerSecond: orders / seconds,
      commitsPerOrder: FLOOR_STEPS.length,
      publishesPerOrder: FLOOR_STEPS.length,
      deliveriesPerOrder: HANDLER_STEPS,
      concurrency,
      batched,
      meanBatch: batched ? batchedMessages / Math.max(1, batches) : 1,
    };
  } finally {
    for (const it of iterators) it.stop();
    await Promise.allSettled(handled);
    await jsm.streams.delete(stream).catch(() => undefined);
    await pool.query(`drop table if exists ${table}`).catch(() => undefined);
    await nc.close();
    await pool.end();
  }
}

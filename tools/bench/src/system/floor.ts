import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ensureStreams } from '@orderflow/messaging';
import { reservedEvent } from '../events.js';

/** The steps of one confirmed order: the HTTP commit, then one handler step per event. */
export const FLOOR_STEPS = ['order.placed', 'inventory.reserved', 'payment.authorized', 'shipment.scheduled', 'order.confirmed', 'notification.sent'] as const;

export interface FloorResult {
  readonly orders: number;
  readonly seconds: number;
  readonly ordersPerSecond: number;
  readonly commitsPerOrder: number;
  readonly publishesPerOrder: number;
  readonly concurrency: number;
}

/**
 * The raw floor: per order, only the unavoidable work, unbatched — for each of the six steps of a
 * confirmed order, one Postgres commit (a single-row autocommit INSERT: the HTTP request's, then
 * one per handler) and one JetStream publish of that step's event (~450 bytes, `Nats-Msg-Id`),
 * awaiting its PubAck before the next step. `concurrency` orders run at once, for `seconds`.
 * No HTTP, no JSON, no validation, no consumers: what a system doing an order's work one
 * message at a time could at best reach on these servers.
 */
export async function rawFloor(options: {
  natsUrl: string;
  /** A database the floor may create a table in. */
  databaseUrl: string;
  namespace: string;
  concurrency: number;
  seconds: number;
  onProgress?: (orders: number) => void;
}): Promise<FloorResult> {
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
  let orders = 0;
  try {
    // Warm the pool and the connection before timing.
    await Promise.all(Array.from({ length: Math.min(concurrency, 32) }, () => pool.query('select 1')));
    const t0 = performance.now();
    const deadline = t0 + options.seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const orderId = randomUUID();
          for (let step = 0; step < FLOOR_STEPS.length; step++) {
            await pool.query({ name: 'floor-insert', text: `insert into ${table} (order_id, step, payload) values ($1, $2, $3)`, values: [orderId, step, payload] });
            await js.publish(`${prefix}.${FLOOR_STEPS[step]}.${orderId}`, body, { msgID: randomUUID() });
          }
          orders += 1;
          options.onProgress?.(orders);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    return {
      orders,
      seconds,
      ordersPerSecond: orders / seconds,
      commitsPerOrder: FLOOR_STEPS.length,
      publishesPerOrder: FLOOR_STEPS.length,
      concurrency,
    };
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await pool.query(`drop table if exists ${table}`).catch(() => undefined);
    await nc.close();
    await pool.end();
  }
}

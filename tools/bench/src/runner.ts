import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { streamForType, subjectFilter } from '@orderflow/contracts';
import { createConsumerRunner, createDirectPublisher, noopMetrics, type EventHandler } from '@orderflow/messaging';
import type { BenchInfra } from './infra.js';
import { orderPlaced, reservedDraft } from './events.js';
import { countdown, figure, measure, within, type Figure } from './measure.js';

export const RUNNER_TARGET = 1_500;

/**
 * What inventory does for `order.placed`, minus the business rules: one write to its own table
 * in the runner's transaction, and one event back (so the runner writes the outbox too).
 */
const handler: EventHandler = async (event, { tx, now }) => {
  if (event.type !== 'order.placed') return [];
  const amount = event.data.items.reduce((sum, l) => sum + l.quantity * 950, 0);
  await tx.execute(sql`insert into bench_reservations (order_id, lines, amount_cents, reserved_at)
    values (${event.orderId}, ${event.data.items.length}, ${amount}, ${now.toISOString()})
    on conflict (order_id) do nothing`);
  return [reservedDraft(event.orderId)];
};

/** Publishes `n` order.placed events once; every runner run reads them with a fresh durable consumer. */
export async function prepublish(infra: BenchInfra, n: number): Promise<void> {
  const publisher = createDirectPublisher(infra.js, { namespace: infra.ns });
  for (let i = 0; i < n; i += 1000) {
    await publisher.publish(Array.from({ length: Math.min(1000, n - i) }, orderPlaced));
  }
  const info = await infra.jsm.streams.info(streamForType('order.placed', infra.ns).name);
  if (info.state.messages < n) throw new Error(`prepublish: ${info.state.messages} of ${n} order.placed in the stream`);
}

async function settle(infra: BenchInfra, stream: string, name: string): Promise<{ pending: number; ackPending: number }> {
  // Acks are fire-and-forget; give the last ones a moment to reach the server.
  let info = await infra.jsm.consumers.info(stream, name);
  for (let i = 0; i < 50 && info.num_ack_pending > 0; i++) {
    await sleep(100);
    info = await infra.jsm.consumers.info(stream, name);
  }
  return { pending: info.num_pending, ackPending: info.num_ack_pending };
}

/**
 * Times one consumer runner from `start()` until it has handled `n` of the pre-published events
 * (committed and acked), through decode, inbox, handler (one insert) and outbox (one event).
 */
export async function runnerRun(
  infra: BenchInfra,
  options: { n: number; available: number; mode: 'batch' | 'single'; batchSize?: number; profileFile?: string },
): Promise<Figure> {
  const { n, mode, batchSize } = options;
  await infra.pool.query('truncate bench_reservations, messaging_outbox, messaging_inbox');
  const stream = streamForType('order.placed', infra.ns).name;
  const name = `bench-${mode}-${batchSize ?? 'default'}`;
  const handled = countdown(n);
  const unexpected = new Map<string, number>();
  const runner = createConsumerRunner({
    nc: infra.nc,
    pool: infra.pool,
    source: 'inventory',
    name,
    stream,
    filterSubject: subjectFilter('order.placed', infra.ns),
    namespace: infra.ns,
    mode,
    ...(batchSize ? { batchSize } : {}),
    handler,
    metrics: {
      ...noopMetrics,
      // Metrics hooks must not throw: tally anything but `processed` and fail the run afterwards.
      consumed: (_, outcome) => {
        if (outcome === 'processed') handled.add(1);
        else unexpected.set(outcome, (unexpected.get(outcome) ?? 0) + 1);
      },
    },
  });
  let t;
  try {
    t = await measure(async () => {
      await runner.start();
      await within(handled.done, 300_000, `runner (${mode})`, () => `${handled.count} of ${n} handled, others: ${JSON.stringify([...unexpected])}`);
    }, { pool: infra.pool, ...(options.profileFile ? { profileFile: options.profileFile } : {}) });
  } finally {
    await runner.stop();
  }
  const { rows } = await infra.pool.query<{ effects: number; outbox: number }>(
    'select (select count(*)::int from bench_reservations) as effects, (select count(*)::int from messaging_outbox) as outbox',
  );
  const state = await settle(infra, stream, name);
  await infra.jsm.consumers.delete(stream, name).catch(() => {});
  const effects = rows[0]?.effects ?? 0;
  const outbox = rows[0]?.outbox ?? 0;
  // stop() finishes what was already delivered, so a partial run may handle a few more than n.
  // A partial run can also leave a message delivered but never handed to the runner (see README):
  // it stays unacked until ack_wait and is counted, not treated as a failure.
  if (unexpected.size > 0 || effects < n || outbox !== effects || state.pending + state.ackPending + effects !== options.available) {
    throw new Error(
      `runner run inconsistent: ${effects} effects, ${outbox} outbox rows, ${state.pending} pending, ${state.ackPending} unacked, other outcomes ${JSON.stringify([...unexpected])} (expected ${n} of ${options.available})`,
    );
  }
  if (state.ackPending > 0) {
    process.stderr.write(
      `[bench] note: after stop(), ${state.ackPending} message(s) of ${name} were delivered but neither acked nor nak'd (redelivered after ack_wait)\n`,
    );
  }
  const batch = mode === 'single' ? 'one transaction per event' : batchSize ? `batchSize ${batchSize}` : 'default batchSize';
  return figure(
    {
      ...(state.ackPending > 0 ? { strandedAfterStop: state.ackPending } : {}),
      key: mode === 'single' ? 'runner.single' : batchSize ? `runner.batch.${batchSize}` : 'runner.batch',
      group: 'runner',
      label: `consumer runner, ${mode} mode, ${batch}`,
      events: n,
      floor: mode === 'single' ? 'pg.sequential' : 'pg.tx100',
      ...(mode === 'batch' && !batchSize ? { target: RUNNER_TARGET } : {}),
    },
    t,
  );
}

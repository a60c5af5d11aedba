import { drizzle } from 'drizzle-orm/node-postgres';
import { streamForType } from '@orderflow/contracts';
import { createOutboxRelay, enqueue, noopMetrics, runWithContext } from '@orderflow/messaging';
import type { BenchInfra } from './infra.js';
import { reservedDraft } from './events.js';
import { countdown, figure, measure, within, type Figure } from './measure.js';

export const RELAY_TARGET = 5_000;
const TX_SIZE = 100;

async function reset(infra: BenchInfra): Promise<void> {
  await infra.pool.query('truncate messaging_outbox');
  await infra.jsm.streams.purge(streamForType('inventory.reserved', infra.ns).name);
}

/** Writes `n` events to the outbox through `enqueue`, `TX_SIZE` per transaction, as a service would. */
async function fill(infra: BenchInfra, n: number): Promise<void> {
  const db = drizzle({ client: infra.pool });
  for (let i = 0; i < n; i += TX_SIZE) {
    const drafts = Array.from({ length: Math.min(TX_SIZE, n - i) }, () => reservedDraft());
    await runWithContext({ correlationId: `bench-${i}`, causationId: null }, () =>
      db.transaction((tx) => enqueue(tx, drafts, { source: 'inventory' })),
    );
  }
}

/** Checks that the run did what it claims: no row left unpublished and every event in the stream once. */
async function verify(infra: BenchInfra, n: number): Promise<void> {
  // The relay deletes a row once it is published: an empty outbox means nothing is left.
  const { rows } = await infra.pool.query<{ pending: number }>('select count(*)::int as pending from messaging_outbox');
  const stream = await infra.jsm.streams.info(streamForType('inventory.reserved', infra.ns).name);
  if (rows[0]?.pending !== 0 || stream.state.messages !== n) {
    throw new Error(
      `relay run inconsistent: ${rows[0]?.pending} rows unpublished, ${stream.state.messages} messages in the stream, expected ${n}`,
    );
  }
}

function relayFor(infra: BenchInfra, published: { add(k: number): void }, batchSize?: number, nc = infra.nc) {
  return createOutboxRelay({
    pool: infra.pool,
    nc,
    namespace: infra.ns,
    ...(batchSize ? { batchSize } : {}),
    // relayPublished runs after the pass has committed its deletes: "published" is durable.
    metrics: { ...noopMetrics, relayPublished: (k) => published.add(k) },
  });
}

/**
 * Pre-fills the outbox with `n` events (timed as the enqueue figure), then times one relay
 * from `start()` until the pass that marks the last row has committed.
 */
export async function relayDrain(
  infra: BenchInfra,
  n: number,
  options: { batchSize?: number; profileFile?: string; withEnqueueFigure?: boolean; noAsyncTraces?: boolean } = {},
): Promise<Figure[]> {
  const figures: Figure[] = [];
  await reset(infra);
  const fillTiming = await measure(() => fill(infra, n));
  if (options.withEnqueueFigure) {
    figures.push(
      figure(
        { key: 'outbox.enqueue', group: 'relay', label: `enqueue into the outbox, ${TX_SIZE} per transaction (no relay)`, events: n },
        fillTiming,
      ),
    );
  }
  const published = countdown(n);
  const nc = options.noAsyncTraces ? infra.ncNoTraces : infra.nc;
  if (!nc) throw new Error('no noAsyncTraces connection');
  const relay = relayFor(infra, published, options.batchSize, nc);
  const batch = `${options.batchSize ? `batchSize ${options.batchSize}` : 'default batchSize'}${options.noAsyncTraces ? ', NATS noAsyncTraces' : ''}`;
  try {
    const t = await measure(async () => {
      await relay.start();
      await within(published.done, 300_000, 'relay drain', () => `${published.count} of ${n} published`);
    }, { pool: infra.pool, ...(options.profileFile ? { profileFile: options.profileFile } : {}) });
    figures.push(
      figure(
        {
          key: `relay.drain${options.batchSize ? `.${options.batchSize}` : ''}${options.noAsyncTraces ? '.notraces' : ''}`,
          group: 'relay',
          label: `relay drains a full outbox, ${batch}`,
          events: n,
          floor: options.noAsyncTraces ? 'js.pipelined.notraces' : 'js.pipelined',
          ...(options.batchSize || options.noAsyncTraces ? {} : { target: RELAY_TARGET }),
        },
        t,
      ),
    );
  } finally {
    await relay.stop();
  }
  await verify(infra, n);
  return figures;
}

/**
 * End to end: the relay runs while one writer enqueues `n` events (`TX_SIZE` per transaction);
 * timed from the first write until the last event is published.
 */
export async function relayConcurrent(infra: BenchInfra, n: number): Promise<Figure[]> {
  await reset(infra);
  const published = countdown(n);
  const relay = relayFor(infra, published);
  await relay.start();
  try {
    const t = await measure(async () => {
      await fill(infra, n);
      await within(published.done, 300_000, 'relay (concurrent)', () => `${published.count} of ${n} published`);
    });
    await relay.stop();
    await verify(infra, n);
    return [
      figure(
        {
          key: 'relay.e2e',
          group: 'relay',
          label: `enqueue (${TX_SIZE}/tx) + relay concurrently, first write to last publish`,
          events: n,
          floor: 'js.pipelined',
          target: RELAY_TARGET,
        },
        t,
      ),
    ];
  } finally {
    await relay.stop();
  }
}

import { eventually } from '@orderflow/testkit';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { drizzle } from 'drizzle-orm/node-postgres';
import { streamForType, type AnyEventDraft } from '@orderflow/contracts';
import { startPrivateNats } from '@orderflow/testkit';
import { collectOutbox, createOutboxRelay, enqueue, runWithContext, type MessagingMetrics } from '../src/index.js';
import { readStream } from '../src/testing/index.js';
import { fixtureScope, type Fixture } from './fixture.js';
import { runCrashScript } from './crash/run.js';

const { cleanups, fixture } = fixtureScope();

function rejected(orderId = randomUUID()): AnyEventDraft {
  return { type: 'inventory.rejected', orderId, data: { reason: 'OUT_OF_STOCK', skus: ['SKU-1'] } };
}

async function enqueueMany(f: Fixture, n: number, chunk = 100): Promise<void> {
  const db = drizzle({ client: f.pool });
  for (let i = 0; i < n; i += chunk) {
    const drafts = Array.from({ length: Math.min(chunk, n - i) }, () => rejected());
    await runWithContext({ correlationId: 'bulk', causationId: null }, () =>
      db.transaction((tx) => enqueue(tx, drafts, { source: 'inventory' })),
    );
  }
}

async function inventoryStream(f: Fixture) {
  return readStream(f.jsm, streamForType('inventory.rejected', f.ns).name);
}

function countingMetrics(): MessagingMetrics & { published: number } {
  const m = {
    published: 0,
    relayPublished(n: number) {
      m.published += n;
    },
    relayFailed() {},
    outboxBacklog() {},
    consumed() {},
    taken() {},
    pullBlocked() {},
  };
  return m;
}

describe('outbox relay', () => {
  it('publishes an event committed by a process that died before publishing, exactly once', async () => {
    const f = await fixture();
    const orderId = randomUUID();
    const exit = await runCrashScript('commit-then-die.ts', [f.dbUrl, orderId]);
    expect(exit).toBe('SIGKILL');
    // The commit survived the crash; nothing was published yet.
    expect((await f.effects('order-state')).length).toBe(1);
    expect(await inventoryStream(f)).toHaveLength(0);

    const relay = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: f.ns });
    await relay.start();
    cleanups.push(() => relay.stop());
    await eventually(async () => (await inventoryStream(f)).length === 1);
    await relay.flush();
    await relay.runOnce();
    const stored = await inventoryStream(f);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.event?.orderId).toBe(orderId);
    expect(stored[0]!.event?.correlationId).toBe(`crash-${orderId}`);
    expect(stored[0]!.headers['Nats-Msg-Id']).toBe(stored[0]!.event?.id);
  });

  it('publishes once when a relay died after the PubAck and before deleting the rows', async () => {
    const f = await fixture();
    await enqueueMany(f, 20);
    const exit = await runCrashScript('publish-then-die.ts', [f.dbUrl, natsUrlOf(f), f.ns]);
    expect(exit).toBe('SIGKILL');
    expect(await inventoryStream(f)).toHaveLength(20);
    const { rows } = await f.pool.query<{ n: number }>('select count(*)::int as n from messaging_outbox ');
    expect(rows[0]!.n).toBe(20); // the deletes died with the process

    const relay = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: f.ns });
    await relay.flush();
    const stored = await inventoryStream(f);
    expect(stored).toHaveLength(20); // re-published, de-duplicated by Nats-Msg-Id
    expect(new Set(stored.map((s) => s.event?.id)).size).toBe(20);
  });

  it('sends no NOTIFY for outbox rows, so commits that write events never queue on the cluster-wide notify lock', async () => {
    const f = await fixture();
    const listener = await f.pool.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => void heard.push(n.channel));
    try {
      await listener.query('listen messaging_outbox');
      await enqueueMany(f, 3);
      await new Promise((r) => setTimeout(r, 300));
      expect(heard).toEqual([]);
      const { rows } = await f.pool.query<{ n: number }>("select count(*)::int as n from pg_trigger where tgrelid = 'messaging_outbox'::regclass and not tgisinternal");
      expect(rows[0]!.n).toBe(0);
    } finally {
      await listener.query('unlisten *');
      listener.release();
    }
  });

  it('publishes committed rows at once on the fast path, once, and its polls leave young rows alone', async () => {
    const f = await fixture();
    const metrics = countingMetrics();
    // No LISTEN and a poll a minute away: only the fast path can publish within the test.
    const relay = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: f.ns, pollIntervalMs: 60_000, claimGraceMs: 60_000, metrics });
    await relay.start();
    cleanups.push(() => relay.stop());
    const db = drizzle({ client: f.pool });
    const { rows } = await collectOutbox(() => db.transaction((tx) => enqueue(tx, [rejected(), rejected()], { source: 'inventory', correlationId: 'fast-1' })));
    expect(rows).toHaveLength(2);
    relay.publishCommitted(rows);
    await eventually(async () => (await inventoryStream(f)).length === 2, { timeoutMs: 5000 });
    await eventually(async () => {
      const { rows: left } = await f.pool.query('select count(*)::int as n from messaging_outbox ');
      return left[0].n === 0;
    });
    expect(metrics.published).toBe(2);
    // A polling pass now finds nothing to do (published), and would skip unpublished young rows.
    await enqueueMany(f, 1);
    await relay.runOnce(); // explicit passes ignore the grace period
    expect(await inventoryStream(f)).toHaveLength(3);
  });

  it('deletes the published rows of several writers with one statement per delete window', async () => {
    const f = await fixture();
    const deletes: number[] = [];
    const metrics = { ...countingMetrics(), relayPublished: (n: number) => void deletes.push(n) };
    const relay = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: f.ns, pollIntervalMs: 60_000, claimGraceMs: 60_000, deleteDelayMs: 400, metrics });
    await relay.start();
    cleanups.push(() => relay.stop());
    const db = drizzle({ client: f.pool });
    // Three writers, each handing over its rows once the previous one's are on the stream.
    for (let i = 1; i <= 3; i++) {
      const { rows } = await collectOutbox(() => db.transaction((tx) => enqueue(tx, [rejected()], { source: 'inventory', correlationId: `delete-${i}` })));
      relay.publishCommitted(rows);
      await eventually(async () => (await inventoryStream(f)).length === i, { timeoutMs: 5000 });
    }
    await eventually(async () => {
      const { rows: left } = await f.pool.query('select count(*)::int as n from messaging_outbox ');
      return left[0].n === 0;
    });
    expect(deletes).toEqual([3]);
  });

  it('publishes nothing from a transaction that rolled back', async () => {
    const f = await fixture();
    const db = drizzle({ client: f.pool });
    await expect(
      collectOutbox(() =>
        db.transaction(async (tx) => {
          await enqueue(tx, [rejected()], { source: 'inventory', correlationId: 'rollback-1' });
          throw new Error('rolled back');
        }),
      ),
    ).rejects.toThrow('rolled back');
    const { rows } = await f.pool.query('select count(*)::int as n from messaging_outbox');
    expect(rows[0].n).toBe(0);
  });

  it('leaves rows the fast path could not publish to the polling passes', async () => {
    const f = await fixture();
    // A namespace with no streams: every publish fails (no stream captures the subject).
    const relay = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: `${f.ns}_nostream`, pollIntervalMs: 60_000, publishTimeoutMs: 1000 });
    const db = drizzle({ client: f.pool });
    const { rows } = await collectOutbox(() => db.transaction((tx) => enqueue(tx, [rejected()], { source: 'inventory', correlationId: 'fail-1' })));
    await relay.start();
    relay.publishCommitted(rows);
    await relay.stop(); // waits for the fast path to give up
    const { rows: left } = await f.pool.query('select count(*)::int as n from messaging_outbox ');
    expect(left[0].n).toBe(1);
    // The polling pass of a relay that can publish picks it up.
    const good = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: f.ns });
    await good.flush(10_000);
    expect(await inventoryStream(f)).toHaveLength(1);
  });

  it('shares one outbox between two relays: every event published by exactly one of them', async () => {
    const f = await fixture();
    await enqueueMany(f, 3000, 500);
    const m1 = countingMetrics();
    const m2 = countingMetrics();
    const r1 = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: f.ns, batchSize: 200, metrics: m1 });
    const pool2 = f.createPool(4);
    const r2 = createOutboxRelay({ pool: pool2, nc: f.nc, namespace: f.ns, batchSize: 200, metrics: m2 });
    cleanups.push(async () => {
      await r1.stop();
      await r2.stop();
    });
    await Promise.all([r1.start(), r2.start()]);
    await eventually(async () => m1.published + m2.published >= 3000, { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(m1.published).toBeGreaterThan(0);
    expect(m2.published).toBeGreaterThan(0);
    expect(m1.published + m2.published).toBe(3000);
    const stored = await inventoryStream(f);
    expect(stored).toHaveLength(3000);
    expect(new Set(stored.map((s) => s.event?.id)).size).toBe(3000);
  });

  it('loses and doubles nothing when NATS restarts while the relay publishes', async () => {
    const nats = await startPrivateNats();
    cleanups.push(() => nats.stop());
    const f = await fixture({ natsUrl: nats.url });
    const metrics = countingMetrics();
    const relay = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: f.ns, batchSize: 100, publishTimeoutMs: 1000, metrics });
    await relay.start();
    cleanups.push(() => relay.stop());
    const writing = enqueueMany(f, 2000, 20);
    await eventually(async () => metrics.published > 0);
    await nats.restart({ downMs: 1500 });
    await writing;
    await eventually(
      async () => (await f.pool.query<{ n: number }>('select count(*)::int as n from messaging_outbox ')).rows[0]!.n === 0,
      { timeoutMs: 60_000 },
    );
    const stored = await inventoryStream(f);
    const ids = stored.map((s) => s.event?.id);
    expect(new Set(ids).size).toBe(2000);
    expect(ids).toHaveLength(2000);
  });

  it('keeps rows while NATS is unreachable and publishes them when it is back', async () => {
    const nats = await startPrivateNats();
    cleanups.push(() => nats.stop());
    const f = await fixture({ natsUrl: nats.url });
    const relay = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: f.ns, publishTimeoutMs: 500 });
    await relay.start();
    cleanups.push(() => relay.stop());
    await nats.kill();
    await enqueueMany(f, 10);
    await new Promise((r) => setTimeout(r, 1500));
    const { rows } = await f.pool.query<{ n: number; a: number }>(
      'select count(*)::int as n, max(attempts)::int as a from messaging_outbox ',
    );
    expect(rows[0]!.n).toBe(10);
    await nats.restart();
    await eventually(async () => (await inventoryStream(f)).length === 10, { timeoutMs: 30_000 });
  });

  it('deletes each row once JetStream has it, and prunes inbox rows after their retention', async () => {
    const f = await fixture();
    await enqueueMany(f, 5);
    const relay = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: f.ns, inboxRetentionMs: 1000 });
    await relay.flush();
    await enqueueMany(f, 3); // not published
    expect(await inventoryStream(f)).toHaveLength(5);
    const { rows } = await f.pool.query<{ n: number }>('select count(*)::int as n from messaging_outbox');
    expect(rows[0]!.n).toBe(3);
    await f.pool.query(
      `insert into messaging_inbox (consumer, event_id, processed_at) values
         ('c', gen_random_uuid(), now() - interval '1 hour'), ('c', gen_random_uuid(), now() - interval '1 hour'), ('c', gen_random_uuid(), now())`,
    );
    expect(await relay.prune()).toEqual({ inbox: 2 });
    const { rows: inbox } = await f.pool.query<{ n: number }>('select count(*)::int as n from messaging_inbox');
    expect(inbox[0]!.n).toBe(1);
  });
});

function natsUrlOf(f: Fixture): string {
  const s = f.nc.getServer();
  return s.startsWith('nats://') ? s : `nats://${s}`;
}


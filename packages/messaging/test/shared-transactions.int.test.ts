import { randomUUID } from 'node:crypto';
import { eventually } from '@orderflow/testkit';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createEvent, streamForType, subjectFilter, type AnyEventDraft, type DomainEvent, type EventType } from '@orderflow/contracts';
import {
  createConsumerRunner,
  createDirectPublisher,
  createSharedTransactions,
  listDeadLetters,
  PermanentError,
  type BatchEventHandler,
  type CommittedOutboxRow,
  type ConsumerRunnerOptions,
  type SharedTransactions,
  type TransactionPart,
} from '../src/index.js';
import { sampleOrderPlaced } from '../src/testing/index.js';
import { fixtureScope, type Fixture } from './fixture.js';

const { cleanups, fixture } = fixtureScope();

/** An inventory event of a new order, or of the order `cause` placed, caused by it. */
function rejected(cause: DomainEvent = sampleOrderPlaced()): DomainEvent {
  return createEvent({ type: 'inventory.rejected', orderId: cause.orderId, data: { reason: 'OUT_OF_STOCK', skus: ['SKU-1'] } }, { source: 'inventory', cause });
}

/** Which transaction handled each event, and in which consumer. */
interface Handled {
  readonly consumer: string;
  readonly eventId: string;
  readonly txid: string;
}

/**
 * Three consumers sharing transactions: `hold` (on payment events) keeps the shared transaction
 * open until released, so the batches of `a` (order events) and `b` (inventory events) that arrive
 * meanwhile wait together for the next one.
 */
async function threeConsumers(
  f: Fixture,
  options: { a?: Partial<ConsumerRunnerOptions>; b?: Partial<ConsumerRunnerOptions> } = {},
) {
  const shared = createSharedTransactions(f.pool);
  const waitingParts: string[] = [];
  const sharing: SharedTransactions = {
    run: (part) => {
      waitingParts.push(part.consumer);
      return shared.run(part);
    },
  };
  const handled: Handled[] = [];
  const committed = new Map<string, CommittedOutboxRow[]>();
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  /** Records the transaction of each event, writes its effect at the commit and returns one draft per event. */
  let observeB: (read: readonly (readonly Record<string, unknown>[])[]) => void = () => {};
  const recording = (consumer: string, wait?: Promise<void>): BatchEventHandler => async (batch, { tx, atCommit, read }) => {
    await wait;
    if (consumer === 'b') observeB(read);
    const { rows } = await tx.execute<{ txid: string }>(sql`select txid_current()::text as txid`);
    for (const e of batch) handled.push({ consumer, eventId: e.id, txid: rows[0]!.txid });
    atCommit({ sql: 'insert into effects (event_id, consumer) select id, $2 from unnest($1::uuid[]) as id', params: [batch.map((e) => e.id), consumer] });
    return batch.map((e): AnyEventDraft[] => [{ type: 'payment.refunded', orderId: e.orderId, data: { paymentId: e.id, amountCents: 1, currency: 'EUR' } }]);
  };
  const start = async (consumer: string, type: EventType, batchHandler: BatchEventHandler, overrides: Partial<ConsumerRunnerOptions> = {}) => {
    const runner = createConsumerRunner({
      nc: f.nc,
      pool: f.pool,
      source: 'payment',
      name: consumer,
      stream: streamForType(type, f.ns).name,
      filterSubject: subjectFilter(type, f.ns),
      namespace: f.ns,
      retry: { baseMs: 50, maxMs: 200 },
      handler: async (event, { tx }) => {
        await tx.execute(sql`insert into effects (event_id, consumer) values (${event.id}, ${consumer})`);
        return [];
      },
      reads: () => [],
      batchHandler,
      sharing,
      onCommitted: (rows) => committed.set(consumer, [...(committed.get(consumer) ?? []), ...rows]),
      ...overrides,
    });
    await runner.start();
    cleanups.push(() => runner.stop());
  };
  await start('hold', 'payment.refunded', recording('hold', released));
  await start('a', 'order.placed', recording('a'), options.a);
  await start('b', 'inventory.rejected', recording('b'), options.b);
  const publisher = createDirectPublisher(f.js, { namespace: f.ns });
  /** Starts a shared transaction that stays open until `release()`. */
  const hold = async () => {
    const e = createEvent({ type: 'payment.refunded', orderId: sampleOrderPlaced().orderId, data: { paymentId: randomUUID(), amountCents: 1, currency: 'EUR' } }, { source: 'payment', correlationId: 'c-hold' });
    await publisher.publish([e]);
    await eventually(async () => waitingParts.includes('hold'));
  };
  return { handled, committed, waitingParts, release, hold, publisher, observeB: (f: typeof observeB) => void (observeB = f) };
}

const txOf = (handled: readonly Handled[], id: string) => handled.filter((h) => h.eventId === id).map((h) => h.txid);

describe('shared transactions', () => {
  it("runs the waiting batches of several consumers as one transaction, each event's inbox row, effect and outbox row committed once and its events handed to its own consumer", async () => {
    const f = await fixture();
    const s = await threeConsumers(f);
    await s.hold();
    const placed = sampleOrderPlaced();
    const inventory = rejected();
    await s.publisher.publish([placed, inventory]);
    await eventually(async () => s.waitingParts.includes('a') && s.waitingParts.includes('b'));
    s.release();
    await eventually(async () => (await f.effects()).length === 3);
    const [txA, txB, txHold] = [txOf(s.handled, placed.id), txOf(s.handled, inventory.id), s.handled.find((h) => h.consumer === 'hold')!.txid];
    expect(txA).toHaveLength(1);
    expect(txA).toEqual(txB); // one transaction for both consumers' batches
    expect(txA[0]).not.toBe(txHold); // which had waited for the one in flight
    const { rows: inbox } = await f.pool.query<{ consumer: string; event_id: string }>('select consumer, event_id::text from messaging_inbox order by consumer');
    expect(inbox.filter((r) => r.consumer !== 'hold')).toEqual([
      { consumer: 'a', event_id: placed.id },
      { consumer: 'b', event_id: inventory.id },
    ]);
    // Each consumer got the outbox rows of its own events, caused by them.
    await eventually(async () => s.committed.get('a')?.length === 1 && s.committed.get('b')?.length === 1);
    expect(JSON.parse(s.committed.get('a')![0]!.payload).causationId).toBe(placed.id);
    expect(JSON.parse(s.committed.get('b')![0]!.payload).causationId).toBe(inventory.id);
    const { rows: outbox } = await f.pool.query<{ n: number }>('select count(*)::int as n from messaging_outbox');
    expect(outbox[0]!.n).toBe(3);
  });

  it("runs the part of an order that an earlier part of the transaction has after that part's writes, in the same transaction, reading them", async () => {
    const f = await fixture();
    const seenByB: number[] = [];
    const s = await threeConsumers(f, {
      b: {
        // What `a` has written for the order: its effect row goes in with the writes of a's layer.
        reads: (batch) => [{ sql: "select count(*)::int as n from effects where consumer = 'a' and event_id = any($1::uuid[])", params: [batch.map((e) => e.causationId)] }],
      },
    });
    s.observeB((read) => seenByB.push(read[0]![0]!['n'] as number));
    await s.hold();
    const placed = sampleOrderPlaced();
    const sameOrder = rejected(placed);
    const otherOrder = sampleOrderPlaced();
    await s.publisher.publish([placed, otherOrder]);
    await eventually(async () => s.waitingParts.filter((c) => c === 'a').length === 1);
    await s.publisher.publish([sameOrder]);
    await eventually(async () => s.waitingParts.includes('b'));
    s.release();
    await eventually(async () => (await f.effects()).length === 4);
    expect(txOf(s.handled, sameOrder.id)).toHaveLength(1);
    expect(txOf(s.handled, placed.id)).toEqual(txOf(s.handled, sameOrder.id));
    expect(seenByB).toEqual([1]); // a's write for the order, though not yet committed
  });

  it('lingers between its transactions: a part after a quiet spell goes at once, the parts that follow within lingerMs of its start wait and share the next', async () => {
    const f = await fixture();
    const lingerMs = 1500;
    const shared = createSharedTransactions(f.pool, { lingerMs });
    const ran: { consumer: string; at: number; txid: string }[] = [];
    const part = (consumer: string): TransactionPart => ({
      consumer,
      ids: [randomUUID()],
      keys: [randomUUID()],
      reads: [],
      work: async ({ client, fresh }) => {
        expect(fresh.size).toBe(1);
        const { rows } = await client.query<{ txid: string }>('select txid_current()::text as txid');
        ran.push({ consumer, at: performance.now(), txid: rows[0]!.txid });
        return { writes: [], records: [], forget: [] };
      },
    });
    const sentAt = performance.now();
    await shared.run(part('first'));
    expect(ran[0]!.at - sentAt).toBeLessThan(lingerMs - 500); // idle: not held back
    await Promise.all([shared.run(part('second')), shared.run(part('third'))]);
    const [first, second, third] = ran;
    expect(second!.at - first!.at).toBeGreaterThan(lingerMs - 500);
    expect(second!.txid).toBe(third!.txid);
    expect(second!.txid).not.toBe(first!.txid);
    const { rows } = await f.pool.query<{ consumer: string }>('select consumer from messaging_inbox order by consumer');
    expect(rows.map((r) => r.consumer)).toEqual(['first', 'second', 'third']);
  });

  it("settles a failing batch on its own: the consumer it shared a transaction with commits its events once, and the bad event is dead-lettered", async () => {
    const f = await fixture();
    const bad = sampleOrderPlaced();
    let bCalls = 0;
    const s = await threeConsumers(f, {
      a: {
        batchHandler: async () => {
          throw new Error('cannot handle this batch');
        },
        handler: async () => {
          throw new PermanentError('never');
        },
      },
      b: {
        batchHandler: async (batch, { atCommit }) => {
          bCalls += 1;
          atCommit({ sql: 'insert into effects (event_id, consumer) select id, $2 from unnest($1::uuid[]) as id', params: [batch.map((e) => e.id), 'b'] });
          return batch.map(() => []);
        },
      },
    });
    await s.hold();
    const good = rejected();
    // b's part first, so that it has run its work when a's throws (parts run in the order handed in).
    await s.publisher.publish([good]);
    await eventually(async () => s.waitingParts.includes('b'));
    await s.publisher.publish([bad]);
    await eventually(async () => s.waitingParts.includes('a'));
    s.release();
    const dead = await eventually(async () => {
      const list = await listDeadLetters(f.jsm, { namespace: f.ns });
      return list.length === 1 ? list : undefined;
    });
    expect(dead[0]!.consumer).toBe('a');
    await eventually(async () => (await f.effects('b')).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect((await f.effects('b')).map((r) => r.event_id)).toEqual([good.id]); // once
    expect(bCalls).toBe(2); // in the shared transaction that rolled back, then in one of its own
    expect(await f.effects('a')).toHaveLength(0);
  });
});

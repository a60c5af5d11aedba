import { eventually } from '@orderflow/testkit';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { headers as natsHeaders, type PublishOptions } from '@nats-io/transport-node';
import { createEvent, streamForType, subjectFilter, subjectFor, type DomainEvent } from '@orderflow/contracts';
import {
  createConsumerRunner,
  createDirectPublisher,
  eventFailed,
  listDeadLetters,
  noopMetrics,
  NotReadyError,
  silentLogger,
  PermanentError,
  replayDeadLetter,
  type ConsumerRunner,
  type ConsumerRunnerOptions,
  type EventHandler,
} from '../src/index.js';
import { sampleOrderPlaced } from '../src/testing/index.js';
import { fixtureScope, isPreparation, type Fixture } from './fixture.js';
import { runCrashScript } from './crash/run.js';

const { cleanups, fixture } = fixtureScope();

/** A handler whose effect is one row in `effects` per call. */
function recordingHandler(consumer: string, extra?: (e: DomainEvent) => Promise<void>): EventHandler {
  return async (event, { tx }) => {
    await extra?.(event);
    await tx.execute(sql`insert into effects (event_id, consumer) values (${event.id}, ${consumer})`);
    return [];
  };
}

async function startRunner(
  f: Fixture,
  handler: EventHandler,
  overrides: Partial<ConsumerRunnerOptions> = {},
): Promise<ConsumerRunner> {
  const runner = createConsumerRunner({
    nc: f.nc,
    pool: f.pool,
    source: 'inventory',
    name: 'test-consumer',
    stream: streamForType('order.placed', f.ns).name,
    filterSubject: subjectFilter('order.placed', f.ns),
    namespace: f.ns,
    retry: { baseMs: 100, maxMs: 2000 },
    handler,
    ...overrides,
  });
  await runner.start();
  cleanups.push(() => runner.stop());
  return runner;
}

/** Publishes raw bytes without a Nats-Msg-Id, so JetStream stores every copy. */
async function publishRaw(f: Fixture, subject: string, body: string | Uint8Array): Promise<void> {
  await f.js.publish(subject, body, { headers: natsHeaders() });
}

/**
 * `bad` went to the dead letters (a PermanentError), and each of the `others` events took effect
 * exactly once: the batch that rolled back left nothing behind.
 */
async function expectDeadLetteredAloneOthersOnce(f: Fixture, bad: DomainEvent, others: number): Promise<void> {
  const dead = await eventually(async () => {
    const list = await listDeadLetters(f.jsm, { namespace: f.ns });
    return list.length === 1 ? list : undefined;
  });
  expect(dead[0]!.reason).toBe('permanent');
  await eventually(async () => (await f.effects()).length === others);
  await new Promise((r) => setTimeout(r, 300));
  const ids = (await f.effects()).map((r) => r.event_id);
  expect(new Set(ids).size).toBe(others);
  expect(ids).not.toContain(bad.id);
}

describe('consumer runner', () => {
  it('applies the effect of a message delivered twice only once', async () => {
    const f = await fixture();
    const e = sampleOrderPlaced();
    const subject = subjectFor(e, f.ns);
    await publishRaw(f, subject, JSON.stringify(e));
    await publishRaw(f, subject, JSON.stringify(e));
    const calls: string[] = [];
    await startRunner(f, recordingHandler('test-consumer', async (x) => void calls.push(x.id)));
    const marker = sampleOrderPlaced();
    await publishRaw(f, subjectFor(marker, f.ns), JSON.stringify(marker));
    await eventually(async () => (await f.effects()).some((r) => r.event_id === marker.id));
    const effects = await f.effects();
    expect(effects.filter((r) => r.event_id === e.id)).toHaveLength(1);
    expect(calls.filter((id) => id === e.id)).toHaveLength(1);
  });

  it('does not re-apply a message redelivered after a crash between commit and ack', async () => {
    const f = await fixture();
    const e = sampleOrderPlaced();
    await createDirectPublisher(f.js, { namespace: f.ns }).publish([e]);
    const stream = streamForType('order.placed', f.ns).name;
    const exit = await runCrashScript('handle-then-die.ts', [f.dbUrl, natsUrlOf(f), f.ns, stream, subjectFilter('order.placed', f.ns)]);
    expect(exit).toBe('SIGKILL');
    expect(await f.effects('crash-consumer')).toHaveLength(1); // committed before the crash

    const calls: string[] = [];
    const seenDelivery: number[] = [];
    await startRunner(
      f,
      async (event, ctx) => {
        calls.push(event.id);
        seenDelivery.push(ctx.deliveryCount);
        return [];
      },
      { name: 'crash-consumer', ackWaitMs: 2000 },
    );
    // The unacked message comes back after ack_wait; the inbox turns it into a no-op.
    await eventually(
      async () => {
        const info = await f.jsm.consumers.info(stream, 'crash-consumer');
        return info.num_ack_pending === 0 && info.num_pending === 0 && info.delivered.consumer_seq >= 2;
      },
      { timeoutMs: 20_000 },
    );
    expect(calls).toHaveLength(0);
    expect(await f.effects('crash-consumer')).toHaveLength(1);
  });

  it('retries a transient failure with growing delay, then succeeds once', async () => {
    const f = await fixture();
    const times: number[] = [];
    await startRunner(
      f,
      recordingHandler('test-consumer', async () => {
        times.push(Date.now());
        if (times.length <= 3) throw new Error('database hiccup');
      }),
      { retry: { baseMs: 200, maxMs: 5000 } },
    );
    const e = sampleOrderPlaced();
    await createDirectPublisher(f.js, { namespace: f.ns }).publish([e]);
    await eventually(async () => (await f.effects()).length === 1, { timeoutMs: 20_000 });
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Equal-jitter exponential backoff: 100–200, 200–400, 400–800 ms (+ scheduling slack).
    expect(gaps[0]!).toBeGreaterThanOrEqual(90);
    expect(gaps[1]!).toBeGreaterThanOrEqual(190);
    expect(gaps[2]!).toBeGreaterThanOrEqual(390);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
    expect((await f.effects()).map((r) => r.event_id)).toEqual([e.id]);
  });

  /** `f.pool`, recording every query the runner sends on a pooled connection (statement preparation aside). */
  function recording(f: Fixture): { pool: Fixture['pool']; sent: string[] } {
    const sent: string[] = [];
    const connect = f.pool.connect.bind(f.pool);
    const pool = Object.assign(Object.create(f.pool) as typeof f.pool, {
      connect: async () => {
        const client = await connect();
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
          const q = args[0] as string | { text: string };
          const text = typeof q === 'string' ? q : q.text;
          if (!isPreparation(text)) sent.push(text);
          return query(...args);
        };
        return client;
      },
    });
    return { pool, sent };
  }

  it('commits a batch of write-only events in one round trip each, duplicates included, without the handler', async () => {
    const f = await fixture();
    await f.pool.query('create table facts (event_id uuid primary key, consumer text not null)');
    const { pool, sent } = recording(f);
    const events = Array.from({ length: 20 }, () => sampleOrderPlaced());
    for (const e of events) await publishRaw(f, subjectFor(e, f.ns), JSON.stringify(e));
    await publishRaw(f, subjectFor(events[0]!, f.ns), JSON.stringify(events[0])); // a second copy
    const outcomes: string[] = [];
    let handled = 0;
    await startRunner(
      f,
      async () => {
        handled += 1;
        return [];
      },
      {
        pool,
        writeOnly: (event) => [{ sql: 'insert into facts (event_id, consumer) values ($1, $2) on conflict do nothing', params: [event.id, 'test-consumer'] }],
        metrics: { ...noopMetrics, consumed: (_c, outcome) => void outcomes.push(outcome) },
      },
    );
    await eventually(async () => outcomes.length === 21);
    const runnerQueries = [...sent]; // (the pool's patched clients also serve the checks below)
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(1);
    expect(handled).toBe(0);
    const { rows } = await f.pool.query<{ n: number }>('select count(*)::int as n from facts');
    expect(rows[0]!.n).toBe(20);
    const { rows: inbox } = await f.pool.query<{ n: number }>('select count(*)::int as n from messaging_inbox');
    expect(inbox[0]!.n).toBe(20);
    // One query per transaction: begin, inbox, the writes and commit together.
    expect(runnerQueries.length).toBeGreaterThan(0);
    for (const q of runnerQueries) expect(q).toMatch(/^begin;[\s\S]*;\ncommit$/);
  });

  it('merges the mergeable writes of a write-only batch into one statement per key', async () => {
    const f = await fixture();
    await f.pool.query('create table facts (event_id uuid primary key, consumer text not null)');
    const { pool, sent } = recording(f);
    const events = Array.from({ length: 20 }, () => sampleOrderPlaced());
    for (const e of events) await publishRaw(f, subjectFor(e, f.ns), JSON.stringify(e));
    const processed: string[] = [];
    await startRunner(f, async () => [], {
      pool,
      writeOnly: (event) => [
        {
          key: 'facts',
          rows: [event.id],
          build: (ids: readonly string[]) => ({ sql: "insert into facts (event_id, consumer) select id, 'merged' from unnest($1::uuid[]) as id on conflict do nothing", params: [ids] }),
        },
      ],
      metrics: { ...noopMetrics, consumed: (_c, outcome) => void processed.push(outcome) },
    });
    await eventually(async () => processed.length === 20);
    const runnerQueries = [...sent];
    expect(processed).toEqual(Array(20).fill('processed'));
    const { rows } = await f.pool.query<{ event_id: string }>("select event_id from facts where consumer = 'merged'");
    expect(rows.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.id).sort());
    // Fewer transactions than events (they came as batches), each with one insert for all its facts.
    expect(runnerQueries.length).toBeLessThan(20);
    // begin, the inbox insert, the one insert of the facts, commit.
    for (const q of runnerQueries) expect(q.split(';\n')).toHaveLength(4);
  });

  it('runs a failing write-only batch through the handler, which settles the bad event alone', async () => {
    const f = await fixture();
    await f.pool.query("create table facts (event_id uuid primary key, consumer text not null check (consumer <> 'bad'))");
    const bad = sampleOrderPlaced();
    const good = Array.from({ length: 5 }, () => sampleOrderPlaced());
    for (const e of [...good.slice(0, 2), bad, ...good.slice(2)]) await publishRaw(f, subjectFor(e, f.ns), JSON.stringify(e));
    const factOf = (event: DomainEvent) => ({
      sql: 'insert into facts (event_id, consumer) values ($1, $2) on conflict do nothing',
      params: [event.id, event.id === bad.id ? 'bad' : 'ok'],
    });
    await startRunner(
      f,
      async (event, { tx }) => {
        if (event.id === bad.id) throw new PermanentError('this fact can never be written');
        const q = factOf(event);
        await tx.execute(sql`insert into facts (event_id, consumer) values (${q.params[0]}, ${q.params[1]}) on conflict do nothing`);
        return [];
      },
      { writeOnly: (event) => [factOf(event)] },
    );
    await eventually(async () => (await f.pool.query<{ n: number }>('select count(*)::int as n from facts')).rows[0]!.n === 5);
    const dead = await eventually(async () => {
      const list = await listDeadLetters(f.jsm, { namespace: f.ns });
      return list.length === 1 ? list : undefined;
    });
    expect(dead[0]!.reason).toBe('permanent');
  });

  it('hands a batch its fresh events in one call, and stamps each one\'s drafts with its own correlation and causation', async () => {
    const f = await fixture();
    const events = Array.from({ length: 30 }, () => sampleOrderPlaced());
    for (const e of events) await publishRaw(f, subjectFor(e, f.ns), JSON.stringify(e));
    await publishRaw(f, subjectFor(events[3]!, f.ns), JSON.stringify(events[3])); // a second copy
    const calls: number[] = [];
    let single = 0;
    await startRunner(
      f,
      async (event, { tx }) => {
        single += 1;
        await tx.execute(sql`insert into effects (event_id, consumer) values (${event.id}, 'single')`);
        return [{ type: 'inventory.rejected', orderId: event.orderId, data: { reason: 'OUT_OF_STOCK', skus: ['SKU-1'] } }];
      },
      {
        batchSize: 50,
        batchHandler: async (batch, { tx }) => {
          calls.push(batch.length);
          // One statement for the whole batch.
          await tx.execute(sql`insert into effects (event_id, consumer) select id, 'batch' from unnest(${sql.param(batch.map((e) => e.id))}::uuid[]) as id`);
          return batch.map((event) => [{ type: 'inventory.rejected', orderId: event.orderId, data: { reason: 'OUT_OF_STOCK', skus: ['SKU-1'] } }]);
        },
      },
    );
    await eventually(async () => (await f.effects()).length === 30);
    await new Promise((r) => setTimeout(r, 300));
    const effects = await f.effects();
    expect(new Set(effects.map((e) => e.event_id)).size).toBe(30); // the second copy changed nothing
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.reduce((a, n) => a + n, 0) + single).toBe(30);
    expect(Math.max(...calls)).toBeGreaterThan(1);
    const { rows } = await f.pool.query<{ order_id: string; correlation_id: string; causation_id: string }>(
      `select payload::jsonb->>'orderId' as order_id, payload::jsonb->>'correlationId' as correlation_id, payload::jsonb->>'causationId' as causation_id from messaging_outbox`,
    );
    expect(rows).toHaveLength(30);
    const byOrder = new Map(events.map((e) => [e.orderId, e]));
    for (const row of rows) {
      const cause = byOrder.get(row.order_id)!;
      expect(row.correlation_id).toBe(cause.correlationId);
      expect(row.causation_id).toBe(cause.id);
    }
  });

  it.each([
    {
      what: 'whose batch handler throws',
      options: (bad: DomainEvent, called: () => void): Partial<ConsumerRunnerOptions> => ({
        batchHandler: async (batch, { tx }) => {
          called();
          await tx.execute(sql`insert into effects (event_id, consumer) select id, 'test-consumer' from unnest(${sql.param(batch.map((e) => e.id))}::uuid[]) as id`);
          if (batch.some((e) => e.id === bad.id)) throw new Error('one of these cannot be handled');
          return batch.map(() => []);
        },
      }),
    },
    {
      what: 'whose commit-time write fails',
      options: (bad: DomainEvent, called: () => void): Partial<ConsumerRunnerOptions> => ({
        reads: () => [],
        batchHandler: async (batch, { atCommit }) => {
          called();
          // The bad event's row has no consumer: a not-null violation, at the commit.
          atCommit({
            sql: 'insert into effects (event_id, consumer) select * from unnest($1::uuid[], $2::text[])',
            params: [batch.map((e) => e.id), batch.map((e) => (e.id === bad.id ? null : 'test-consumer'))],
          });
          return batch.map(() => []);
        },
      }),
    },
  ])('runs a batch $what one event at a time through the handler, which settles the bad one alone', async ({ options }) => {
    const f = await fixture();
    const events = Array.from({ length: 20 }, () => sampleOrderPlaced());
    const bad = events[7]!;
    await createDirectPublisher(f.js, { namespace: f.ns }).publish(events);
    let batchCalls = 0;
    await startRunner(f, recordingHandler('test-consumer', async (e) => {
      if (e.id === bad.id) throw new PermanentError('never');
    }), {
      batchSize: 50,
      ...options(bad, () => void (batchCalls += 1)),
    });
    await expectDeadLetteredAloneOthersOnce(f, bad, 19);
    expect(batchCalls).toBeGreaterThan(0);
  });

  it('commits a batch but for the event its batch handler reports failed, which is retried alone; no effect happens twice', async () => {
    const f = await fixture();
    const events = Array.from({ length: 20 }, () => sampleOrderPlaced());
    const bad = events[7]!;
    await createDirectPublisher(f.js, { namespace: f.ns }).publish(events);
    // The effect outside the database (a mail): a batch that rolled back would repeat it.
    const sent = new Map<string, number>();
    const send = (e: DomainEvent) => sent.set(e.id, (sent.get(e.id) ?? 0) + 1);
    let badFailures = 0;
    await startRunner(f, recordingHandler('test-consumer', async (e) => void send(e)), {
      batchSize: 50,
      retry: { baseMs: 50, maxMs: 200 },
      batchHandler: async (batch, { tx }) => {
        const results = [];
        for (const e of batch) {
          if (e.id === bad.id && badFailures === 0) {
            badFailures += 1;
            results.push(eventFailed(new Error('the mail server refused it')));
            continue;
          }
          send(e);
          await tx.execute(sql`insert into effects (event_id, consumer) values (${e.id}, 'test-consumer')`);
          results.push([]);
        }
        return results;
      },
    });
    await eventually(async () => (await f.effects()).length === 20);
    await new Promise((r) => setTimeout(r, 300));
    const ids = (await f.effects()).map((r) => r.event_id);
    expect(new Set(ids).size).toBe(20); // the failed one was redelivered as fresh and handled
    expect(badFailures).toBe(1); // it did go through a batch and fail there
    for (const e of events) expect(sent.get(e.id), e.id).toBe(1);
    expect(await listDeadLetters(f.jsm, { namespace: f.ns })).toHaveLength(0);
  });

  it("runs its reads with begin and the inbox insert and its batch handler's writes with the commit: two round trips per transaction, a lone event's too", async () => {
    const f = await fixture();
    // A pool of the runner's own, to count the queries of each transaction it checks out.
    const pool = f.createPool(4);
    let checkouts = 0;
    let queries = 0;
    pool.on('acquire', () => void (checkouts += 1));
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        if (!isPreparation(args[0])) queries += 1;
        return query(...args);
      };
    });
    const events = Array.from({ length: 30 }, () => sampleOrderPlaced());
    for (const e of events) await publishRaw(f, subjectFor(e, f.ns), JSON.stringify(e));
    await publishRaw(f, subjectFor(events[3]!, f.ns), JSON.stringify(events[3])); // a second copy
    const calls: { size: number; readIds: string[]; effectsBefore: number }[] = [];
    let single = 0;
    await startRunner(
      f,
      async (event, { tx }) => {
        single += 1;
        await tx.execute(sql`insert into effects (event_id, consumer) values (${event.id}, 'single')`);
        return [];
      },
      {
        pool,
        batchSize: 50,
        // Every event of the transaction, duplicates included, as an array parameter (inlined).
        reads: (batch) => [
          { sql: 'select count(*)::int as n from effects', params: [] },
          { sql: 'select id::text as id from unnest($1::uuid[]) as id', params: [batch.map((e) => e.id)] },
        ],
        batchHandler: async (batch, { read, atCommit }) => {
          calls.push({ size: batch.length, readIds: read[1]!.map((r) => r['id'] as string), effectsBefore: read[0]![0]!['n'] as number });
          atCommit({ sql: `insert into effects (event_id, consumer) select id, $2 from unnest($1::uuid[]) as id`, params: [batch.map((e) => e.id), "batch's"] });
          return batch.map((event) => [{ type: 'inventory.rejected', orderId: event.orderId, data: { reason: 'OUT_OF_STOCK', skus: ['SKU-1'] } }]);
        },
      },
    );
    await eventually(async () => (await f.effects()).length === 30);
    // Then one event on its own: it goes to the batch handler too.
    const lone = sampleOrderPlaced();
    await publishRaw(f, subjectFor(lone, f.ns), JSON.stringify(lone));
    await eventually(async () => (await f.effects()).length === 31);
    await new Promise((r) => setTimeout(r, 300));
    const effects = await f.effects();
    expect(new Set(effects.map((e) => e.event_id)).size).toBe(31); // the second copy changed nothing
    expect(effects.every((e) => e.consumer === "batch's")).toBe(true);
    expect(single).toBe(0);
    expect(calls.at(-1)!.size).toBe(1);
    expect(calls.reduce((a, c) => a + c.size, 0)).toBe(31);
    for (const c of calls) expect(c.readIds.length).toBeGreaterThanOrEqual(c.size);
    expect(new Set(calls.flatMap((c) => c.readIds))).toEqual(new Set([...events, lone].map((e) => e.id)));
    // Each transaction read the effects the ones before it committed.
    expect(calls.map((c) => c.effectsBefore)).toEqual(calls.map((_, k) => calls.slice(0, k).reduce((a, c) => a + c.size, 0)));
    expect(checkouts).toBeGreaterThan(0);
    expect(queries).toBe(2 * checkouts);
    const { rows } = await f.pool.query<{ n: number }>('select count(*)::int as n from messaging_outbox');
    expect(rows[0]!.n).toBe(31);
  });

  it('hands the committed events to onCommitted right after the acks, in the same tick, so publishes and acks leave in one write', async () => {
    const f = await fixture();
    const events = Array.from({ length: 5 }, () => sampleOrderPlaced());
    const steps: string[] = [];
    let ackTick = false;
    await startRunner(
      f,
      async (event) => [{ type: 'inventory.rejected', orderId: event.orderId, data: { reason: 'OUT_OF_STOCK', skus: ['SKU-1'] } }],
      {
        mode: 'single',
        // The runner reports each message right after its ack().
        metrics: {
          ...noopMetrics,
          consumed: (_, outcome) => {
            steps.push(`acked (${outcome})`);
            ackTick = true;
            queueMicrotask(() => (ackTick = false)); // runs once the runner awaits anything
          },
        },
        onCommitted: (rows) => void steps.push(`${rows.length} published ${ackTick ? "in the ack's tick" : 'later'}`),
      },
    );
    await createDirectPublisher(f.js, { namespace: f.ns }).publish(events);
    await eventually(async () => steps.length === 10);
    expect(steps).toEqual(events.flatMap(() => ['acked (processed)', "1 published in the ack's tick"]));
  });

  it('runs several one-message transactions at once, never two of one order, each order\'s in the order received', async () => {
    const f = await fixture();
    const orders = Array.from({ length: 6 }, () => randomUUID());
    const events = Array.from({ length: 5 }, () => orders.map((orderId) => sampleOrderPlaced({ orderId }))).flat();
    await createDirectPublisher(f.js, { namespace: f.ns }).publish(events);
    const running = new Map<string, number>();
    let inFlight = 0;
    let mostInFlight = 0;
    let sameOrderAtOnce = 0;
    const seen = new Map<string, string[]>();
    await startRunner(
      f,
      async (event) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        if ((running.get(event.orderId) ?? 0) > 0) sameOrderAtOnce += 1;
        running.set(event.orderId, (running.get(event.orderId) ?? 0) + 1);
        seen.set(event.orderId, [...(seen.get(event.orderId) ?? []), event.id]);
        await new Promise((r) => setTimeout(r, 20));
        running.set(event.orderId, running.get(event.orderId)! - 1);
        inFlight -= 1;
        return [];
      },
      { batchSize: 1, concurrency: 4 },
    );
    await eventually(async () => [...seen.values()].reduce((n, ids) => n + ids.length, 0) === 30, { timeoutMs: 20_000 });
    expect(mostInFlight).toBeGreaterThan(1);
    expect(mostInFlight).toBeLessThanOrEqual(4);
    expect(sameOrderAtOnce).toBe(0);
    for (const orderId of orders) expect(seen.get(orderId)).toEqual(events.filter((e) => e.orderId === orderId).map((e) => e.id));
  });

  it('lingers only under load: an event after a quiet spell goes at once, the next ones wait out lingerMs since the last start and share a transaction', async () => {
    const f = await fixture();
    const lingerMs = 1500;
    const calls: { id: string; at: number; txid: string }[] = [];
    await startRunner(
      f,
      async (event, { tx }) => {
        const at = performance.now();
        const { rows } = await tx.execute<{ txid: string }>(sql`select txid_current()::text as txid`);
        calls.push({ id: event.id, at, txid: rows[0]!.txid });
        return [];
      },
      { lingerMs },
    );
    const publisher = createDirectPublisher(f.js, { namespace: f.ns });
    // Let the runner's pull requests settle, so the first event meets an idle runner.
    await new Promise((r) => setTimeout(r, 300));
    const first = sampleOrderPlaced();
    const sentAt = performance.now();
    await publisher.publish([first]);
    await eventually(async () => calls.some((c) => c.id === first.id));
    // Idle: not held back by the linger.
    expect(calls[0]!.at - sentAt).toBeLessThan(lingerMs - 500);
    const next = [sampleOrderPlaced(), sampleOrderPlaced()];
    await publisher.publish([next[0]!]);
    await publisher.publish([next[1]!]);
    await eventually(async () => calls.length === 3, { timeoutMs: 10_000 });
    const [a, b, c] = calls;
    // Close behind the first: they waited out the rest of its interval, and went together.
    expect(b!.at - a!.at).toBeGreaterThan(lingerMs - 500);
    expect(b!.txid).toBe(c!.txid);
    expect(b!.txid).not.toBe(a!.txid);
  });

  it('reports how long each message waited since JetStream stored it, the wait behind a slow transaction included', async () => {
    const f = await fixture();
    const first = sampleOrderPlaced();
    const second = sampleOrderPlaced();
    const lags = new Map<string, number[]>();
    const queued: number[] = [];
    await startRunner(
      f,
      recordingHandler('test-consumer', async (e) => {
        if (e.id === first.id) await new Promise((r) => setTimeout(r, 400));
      }),
      {
        mode: 'single',
        metrics: {
          ...noopMetrics,
          taken: (consumer, seconds, inQueue) => {
            lags.set(consumer, [...(lags.get(consumer) ?? []), seconds]);
            queued.push(inQueue);
          },
        },
      },
    );
    await publishRaw(f, subjectFor(first, f.ns), JSON.stringify(first));
    await publishRaw(f, subjectFor(second, f.ns), JSON.stringify(second));
    await eventually(async () => (await f.effects()).length === 2);
    const [lagFirst, lagSecond] = lags.get('test-consumer')!;
    expect(lagFirst).toBeGreaterThanOrEqual(0);
    expect(lagFirst).toBeLessThan(0.3);
    // Delivered at once, then queued in the runner behind the first message's 400 ms transaction:
    // that wait is the runner's, and the metrics say so.
    expect(lagSecond).toBeGreaterThanOrEqual(0.3);
    expect(queued[1]).toBeGreaterThanOrEqual(0.3);
    expect(queued[1]).toBeLessThanOrEqual(lagSecond!);
  });

  it('reports the time its pull loops wait for room in a full queue', async () => {
    const f = await fixture();
    const events = Array.from({ length: 40 }, () => sampleOrderPlaced());
    for (const e of events) await publishRaw(f, subjectFor(e, f.ns), JSON.stringify(e));
    let blocked = 0;
    // One message per transaction, 20 ms each: the local queue (16) fills at once.
    await startRunner(
      f,
      recordingHandler('test-consumer', () => new Promise<void>((r) => setTimeout(r, 20))),
      { mode: 'single', metrics: { ...noopMetrics, pullBlocked: (_c, seconds) => void (blocked += seconds) } },
    );
    await eventually(async () => (await f.effects()).length === 40, { timeoutMs: 20_000 });
    expect(blocked).toBeGreaterThan(0.1);
  });

  it('keeps its pull requests open across messages when it runs one message per transaction', async () => {
    const f = await fixture();
    const stream = streamForType('order.placed', f.ns).name;
    // Every pull request of the consumer is a publish to this subject.
    let pulls = 0;
    const sub = f.nc.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${stream}.test-consumer`, { callback: () => void (pulls += 1) });
    cleanups.push(async () => sub.unsubscribe());
    const events = Array.from({ length: 60 }, () => sampleOrderPlaced());
    for (const e of events) await publishRaw(f, subjectFor(e, f.ns), JSON.stringify(e));
    await startRunner(f, recordingHandler('test-consumer'), { mode: 'single', fetchExpiresMs: 5000 });
    await eventually(async () => (await f.effects()).length === 60, { timeoutMs: 15_000 });
    // Four staggered requests to start with, then one per buffer-full; with two-message requests
    // it took one per two messages (34 here).
    expect(pulls).toBeLessThanOrEqual(15);
  });

  it('dead-letters a poison message and an unknown version, with the error, and goes on', async () => {
    const f = await fixture();
    await startRunner(f, recordingHandler('test-consumer'));
    const orderId = randomUUID();
    const poisonSubject = `${f.ns}.order.placed.${orderId}`;
    await publishRaw(f, poisonSubject, '{"this is": not json');
    const future = { ...sampleOrderPlaced({ orderId }), version: 99 };
    await publishRaw(f, poisonSubject, JSON.stringify(future));
    const good = sampleOrderPlaced();
    await publishRaw(f, subjectFor(good, f.ns), JSON.stringify(good));

    await eventually(async () => (await f.effects()).some((r) => r.event_id === good.id));
    const dead = await eventually(async () => {
      const list = await listDeadLetters(f.jsm, { namespace: f.ns });
      return list.length === 2 ? list : undefined;
    });
    const [poison, unknown] = dead;
    expect(poison!.reason).toBe('undecodable');
    expect(poison!.error).toMatch(/not JSON/);
    expect(new TextDecoder().decode(poison!.data)).toBe('{"this is": not json');
    expect(poison!.originalSubject).toBe(poisonSubject);
    expect(poison!.consumer).toBe('test-consumer');
    expect(poison!.deliveries).toBe(1);
    expect(unknown!.reason).toBe('unknown_version');
    expect(unknown!.error).toMatch(/unknown version 99/);
    expect((await f.effects()).map((r) => r.event_id)).toEqual([good.id]);
  });

  it('dead-letters a message out of attempts, and replays it once fixed', async () => {
    const f = await fixture();
    let broken = true;
    await startRunner(
      f,
      recordingHandler('test-consumer', async () => {
        if (broken) throw new Error('still broken');
      }),
      { maxAttempts: 3, retry: { baseMs: 50, maxMs: 200 } },
    );
    const e = sampleOrderPlaced();
    await createDirectPublisher(f.js, { namespace: f.ns }).publish([e]);
    const [dead] = await eventually(async () => {
      const list = await listDeadLetters(f.jsm, { namespace: f.ns });
      return list.length === 1 ? list : undefined;
    });
    expect(dead!.reason).toBe('exhausted');
    expect(dead!.deliveries).toBe(3);
    expect(dead!.error).toContain('still broken');
    expect(await f.effects()).toHaveLength(0);

    broken = false;
    await replayDeadLetter(f.js, f.jsm, dead!.seq, { namespace: f.ns });
    await eventually(async () => (await f.effects()).length === 1);
    expect(await listDeadLetters(f.jsm, { namespace: f.ns })).toHaveLength(0);
  });

  it('keeps retrying a NotReadyError past maxAttempts, never dead-lettering it', async () => {
    const f = await fixture();
    let calls = 0;
    await startRunner(
      f,
      recordingHandler('test-consumer', async () => {
        if (++calls <= 4) throw new NotReadyError('order.placed not seen yet');
      }),
      { maxAttempts: 2, retry: { baseMs: 20, maxMs: 100 } },
    );
    await createDirectPublisher(f.js, { namespace: f.ns }).publish([sampleOrderPlaced()]);
    await eventually(async () => (await f.effects()).length === 1, { timeoutMs: 15_000 });
    expect(calls).toBe(5);
    expect(await listDeadLetters(f.jsm, { namespace: f.ns })).toHaveLength(0);
  });

  it('dead-letters a PermanentError at once', async () => {
    const f = await fixture();
    let calls = 0;
    await startRunner(f, async () => {
      calls += 1;
      throw new PermanentError('order references a deleted product');
    });
    await createDirectPublisher(f.js, { namespace: f.ns }).publish([sampleOrderPlaced()]);
    const [dead] = await eventually(async () => {
      const list = await listDeadLetters(f.jsm, { namespace: f.ns });
      return list.length === 1 ? list : undefined;
    });
    expect(dead!.reason).toBe('permanent');
    expect(calls).toBe(1);
  });

  it('acks the types its handler does not take without a transaction or an inbox row', async () => {
    const f = await fixture();
    const publisher = createDirectPublisher(f.js, { namespace: f.ns });
    const placed = sampleOrderPlaced();
    const confirmed = createEvent(
      { type: 'order.confirmed', orderId: placed.orderId, data: { customerId: 'c-1', customerEmail: 'c1@example.com', amountCents: 100, currency: 'EUR', trackingNumber: 'T-1' } },
      { source: 'order', cause: placed },
    );
    await publisher.publish([confirmed, placed]);
    const handled: string[] = [];
    await startRunner(f, recordingHandler('test-consumer', async (e) => void handled.push(e.type)), {
      filterSubject: `${f.ns}.order.>`,
      types: ['order.placed'],
    });
    await eventually(async () => (await f.effects()).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(handled).toEqual(['order.placed']);
    const { rows } = await f.pool.query<{ n: number }>('select count(*)::int as n from messaging_inbox');
    expect(rows[0]!.n).toBe(1);
    const info = await f.jsm.consumers.info(streamForType('order.placed', f.ns).name, 'test-consumer');
    expect(info.num_ack_pending + info.num_pending).toBe(0);
  });

  it('retries only the message that is not ready; the rest of its batch commits at once', async () => {
    const f = await fixture();
    const events = Array.from({ length: 20 }, () => sampleOrderPlaced());
    const early = events[7]!;
    await createDirectPublisher(f.js, { namespace: f.ns }).publish(events);
    const calls = new Map<string, number>();
    let ready = false;
    await startRunner(
      f,
      recordingHandler('test-consumer', async (e) => {
        calls.set(e.id, (calls.get(e.id) ?? 0) + 1);
        if (e.id === early.id && !ready) throw new NotReadyError('its cause has not arrived');
      }),
      { batchSize: 20, waitRetry: { baseMs: 6000, maxMs: 6000 } },
    );
    // Everything but the early one commits at once. The others run at most twice (those before
    // it in the rolled-back attempt), and the early one is not re-run on its own meanwhile: it
    // waits for its redelivery.
    await eventually(async () => (await f.effects()).length === 19, { timeoutMs: 2500 });
    expect(Math.max(...[...calls.entries()].filter(([id]) => id !== early.id).map(([, n]) => n))).toBeLessThanOrEqual(2);
    expect(calls.get(early.id)).toBe(1);
    ready = true;
    await eventually(async () => (await f.effects()).length === 20, { timeoutMs: 15_000 });
  });

  it('keeps several staggered pull requests open, so one unserved request cannot stall it', async () => {
    const f = await fixture();
    await startRunner(f, recordingHandler('test-consumer'), { fetchExpiresMs: 2000 });
    const stream = streamForType('order.placed', f.ns).name;
    // Loops start 500 ms apart; after 2 s all four have a request waiting on the server.
    await eventually(async () => (await f.jsm.consumers.info(stream, 'test-consumer')).num_waiting >= 4, { timeoutMs: 5000 });
    const e = sampleOrderPlaced();
    await createDirectPublisher(f.js, { namespace: f.ns }).publish([e]);
    await eventually(async () => (await f.effects()).length === 1);
  });

  it('pulls again at once when the server ends a pull request with a 408 that lacks its pending count', async () => {
    // nats-server 2.9 ends a request that expires while it delivers a message this way; nats.js
    // then kept the fetch open until its heartbeats were missed, with no request on the server.
    // Here the test sends that 408 itself, to the runner's first pull request.
    const f = await fixture();
    const stream = streamForType('order.placed', f.ns).name;
    const requests: { reply: string; at: number }[] = [];
    const sub = f.nc.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${stream}.test-consumer`, {
      callback: (_err, msg) => {
        if (msg.reply) requests.push({ reply: msg.reply, at: Date.now() });
      },
    });
    cleanups.push(async () => sub.unsubscribe());
    await f.nc.flush();
    // Loops start 2 s apart (8 s / 4): only the first loop's request comes in the first second.
    await startRunner(f, recordingHandler('test-consumer'), { fetchExpiresMs: 8000 });
    await eventually(async () => requests.length >= 1, { timeoutMs: 5000 });
    const first = requests[0]!;
    f.nc.publish(first.reply, undefined, { headers: natsHeaders(408, 'Request Timeout') });
    const timedOutAt = Date.now();
    // The first loop's next request, long before that request's 8 s expiry and the second loop's start.
    await eventually(async () => requests.some((r) => r.reply !== first.reply && r.at - first.at < 1500), { timeoutMs: 1500 });
    expect(Date.now() - timedOutAt).toBeLessThan(1500);
    // And the runner still consumes.
    await createDirectPublisher(f.js, { namespace: f.ns }).publish([sampleOrderPlaced()]);
    await eventually(async () => (await f.effects()).length === 1);
  });

  it('ends a fetch whose pull request the server dropped without a word soon after its expiry, not after missed heartbeats', async () => {
    // nats-server 2.9 now and then drops a waiting request at its expiry and sends nothing. A
    // request the server completes after one message looks the same to the client, which waits
    // for the rest of its batch: here every pull request leaves with its batch rewritten to 1.
    const f = await fixture();
    const nc = new Proxy(f.nc, {
      get(target, prop) {
        if (prop === 'publish') {
          return (subject: string, data?: string | Uint8Array, opts?: PublishOptions) => {
            if (!subject.includes('.CONSUMER.MSG.NEXT.') || data === undefined) return target.publish(subject, data, opts);
            const request = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data)) as { batch: number };
            return target.publish(subject, JSON.stringify({ ...request, batch: 1 }), opts);
          };
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const logged: string[] = [];
    const logger = { ...silentLogger, info: (_o: object, msg?: string) => void logged.push(msg ?? ''), warn: (_o: object, msg?: string) => void logged.push(msg ?? '') };
    // One pull loop, requests of exactly 4 s (random 0.5): its heartbeats (every 2 s) are missed
    // only after 4–6 s without a message; its deadline is 4.5 s after the request.
    await startRunner(f, recordingHandler('test-consumer'), { nc, pullLoops: 1, fetchExpiresMs: 4000, random: () => 0.5, logger });
    const publisher = createDirectPublisher(f.js, { namespace: f.ns });
    await publisher.publish([sampleOrderPlaced()]);
    await eventually(async () => (await f.effects()).length === 1, { timeoutMs: 4000 });
    const second = Date.now();
    await publisher.publish([sampleOrderPlaced()]);
    // The first request is gone after its one message; the next one goes out at its deadline.
    await eventually(async () => (await f.effects()).length === 2, { timeoutMs: 5500 });
    expect(Date.now() - second).toBeLessThan(5500);
    expect(logged.filter((m) => m.includes('pull request lost') || m.includes('fetch failed'))).toEqual([]);
  });

  it('keeps taking what reaches a fetch after its request counted as over, so nothing on its way waits for ack_wait', async () => {
    // The server can hold a request longer than the runner thinks (it got it late). Here the first
    // pull request reaches the server with a 10 s expiry instead of 2 s, and every later one is
    // lost on the way: after the runner's deadline for the first (2.5 s), only that request can
    // bring a message. A fetch ended at its deadline would drop it until ack_wait (30 s).
    const f = await fixture();
    let requests = 0;
    const nc = new Proxy(f.nc, {
      get(target, prop) {
        if (prop === 'publish') {
          return (subject: string, data?: string | Uint8Array, opts?: PublishOptions) => {
            if (!subject.includes('.CONSUMER.MSG.NEXT.') || data === undefined) return target.publish(subject, data, opts);
            requests += 1;
            if (requests > 1) return undefined;
            const request = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data)) as { expires: number };
            return target.publish(subject, JSON.stringify({ ...request, expires: 10_000_000_000 }), opts);
          };
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await startRunner(f, recordingHandler('test-consumer'), { nc, pullLoops: 1, fetchExpiresMs: 2000, random: () => 0.5 });
    await eventually(async () => requests >= 2, { timeoutMs: 5000 });
    await createDirectPublisher(f.js, { namespace: f.ns }).publish([sampleOrderPlaced()]);
    await eventually(async () => (await f.effects()).length === 1, { timeoutMs: 3000 });
  });

  it('keeps consuming when its durable consumer is deleted under it', async () => {
    const f = await fixture();
    await startRunner(f, recordingHandler('test-consumer'), { fetchExpiresMs: 1000 });
    const publisher = createDirectPublisher(f.js, { namespace: f.ns });
    const before = sampleOrderPlaced();
    await publisher.publish([before]);
    await eventually(async () => (await f.effects()).length === 1);
    // An operator's mistake, or a server that lost its state: the pull fails until re-provisioned.
    await f.jsm.consumers.delete(streamForType('order.placed', f.ns).name, 'test-consumer');
    await new Promise((r) => setTimeout(r, 1000));
    const after = sampleOrderPlaced();
    await publisher.publish([after]);
    await eventually(async () => (await f.effects()).some((r) => r.event_id === after.id), { timeoutMs: 20_000 });
    expect((await f.effects()).map((r) => r.event_id).sort()).toEqual([before.id, after.id].sort());
  });

  it('isolates a failing message inside a batch: the others commit', async () => {
    const f = await fixture();
    const events = Array.from({ length: 50 }, () => sampleOrderPlaced());
    const bad = events[17]!;
    let badCalls = 0;
    // Publish first so the runner's first fetch sees a full batch.
    await createDirectPublisher(f.js, { namespace: f.ns }).publish(events);
    await startRunner(
      f,
      recordingHandler('test-consumer', async (e) => {
        if (e.id === bad.id && ++badCalls < 3) throw new Error('flaky');
      }),
      { batchSize: 50 },
    );
    await eventually(async () => (await f.effects()).length === 50, { timeoutMs: 20_000 });
    const ids = (await f.effects()).map((r) => r.event_id);
    expect(new Set(ids).size).toBe(50);
    expect(badCalls).toBe(3);
  });

  it('loses nothing and half-applies nothing when stopped with messages in flight', async () => {
    const f = await fixture();
    const events = Array.from({ length: 300 }, () => sampleOrderPlaced());
    await createDirectPublisher(f.js, { namespace: f.ns }).publish(events);
    const handler = (consumer: string): EventHandler => async (event, { tx }) => {
      await tx.execute(sql`insert into effects (event_id, consumer) values (${event.id}, ${consumer})`);
      await new Promise((r) => setTimeout(r, 10)); // work between the effect and the commit
      return [{ type: 'inventory.rejected', orderId: event.orderId, data: { reason: 'OUT_OF_STOCK', skus: ['SKU-1'] } }];
    };
    const first = await startRunner(f, handler('test-consumer'), { batchSize: 20 });
    await eventually(async () => (await f.effects()).length >= 40);
    await first.stop();
    const afterStop = await f.effects();
    expect(afterStop.length).toBeLessThan(300);
    // Every applied effect has its inbox row and its outbox event: nothing half-applied.
    const { rows } = await f.pool.query<{ inbox: number; outbox: number }>(
      `select (select count(*)::int from messaging_inbox) as inbox, (select count(*)::int from messaging_outbox) as outbox`,
    );
    expect(rows[0]).toEqual({ inbox: afterStop.length, outbox: afterStop.length });
    const stream = streamForType('order.placed', f.ns).name;
    const info = await f.jsm.consumers.info(stream, 'test-consumer');
    expect(info.num_ack_pending + info.num_pending).toBe(300 - afterStop.length); // acked exactly what committed

    await startRunner(f, handler('test-consumer'), { batchSize: 20 });
    await eventually(async () => (await f.effects()).length === 300, { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    const all = (await f.effects()).map((r) => r.event_id);
    expect(new Set(all).size).toBe(300);
    expect(all).toHaveLength(300);
  });
});

function natsUrlOf(f: Fixture): string {
  const s = f.nc.getServer();
  return s.startsWith('nats://') ? s : `nats://${s}`;
}

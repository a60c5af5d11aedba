import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commitInOneRoundTrip, createGroupCommit, literalOf, toOutboxRecords, type CommittedOutboxRow, type MergeableWrite } from '../src/index.js';
import { fixtureScope, isPreparation, type Fixture } from './fixture.js';

const scope = fixtureScope();

async function fixture(): Promise<Fixture> {
  const f = await scope.fixture();
  await f.pool.query("create table notes (id uuid primary key, body text not null, tags jsonb not null, at timestamptz not null)");
  return f;
}

function records(n: number) {
  const drafts = Array.from({ length: n }, () => ({ type: 'inventory.rejected' as const, orderId: randomUUID(), data: { reason: 'OUT_OF_STOCK' as const, skus: ["it's"] } }));
  return toOutboxRecords(drafts, { source: 'inventory', correlationId: 'one-rt' }).records;
}

describe('literalOf', () => {
  it('gives literals that Postgres reads back exactly, dollar-quoted or not, alone and in arrays', async () => {
    const f = await fixture();
    // Quotes, backslashes, braces, the tag itself, a trailing $o, a lone $, non-ASCII, NULL as text.
    const texts = ["O'Brien", 'a\\b "c" {d,e}', '$o$', "x$o$'; select 1; --", 'ends in $o', '$', 'price $5', '✓ ünï', 'NULL', '', '\\'];
    const { rows } = await f.pool.query<{ one: string[]; all: string[] }>(
      `select array[${texts.map((t) => literalOf(t)).join(', ')}]::text[] as one, ${literalOf(texts)}::text[] as "all"`,
    );
    expect(rows[0]!.one).toEqual(texts);
    expect(rows[0]!.all).toEqual(texts);
  });
});

describe('commitInOneRoundTrip', () => {
  it('commits the statements and the outbox rows together, values intact, and returns the rows with their seq', async () => {
    const f = await fixture();
    const id = randomUUID();
    const at = new Date('2026-11-30T10:00:00.123Z');
    const recs = records(2);
    const rows = await commitInOneRoundTrip(
      f.pool,
      [{ sql: 'insert into notes (id, body, tags, at) values ($1, $2, $3, $4)', params: [id, "it's \\ a note", JSON.stringify(['a', "b'c"]), at.toISOString()] }],
      recs,
    );
    expect(rows.map((r) => r.id)).toEqual(recs.map((r) => r.id));
    expect(rows.every((r) => /^\d+$/.test(r.seq))).toBe(true);
    const { rows: notes } = await f.pool.query('select body, tags, at from notes where id = $1', [id]);
    expect(notes).toEqual([{ body: "it's \\ a note", tags: ['a', "b'c"], at }]);
    const { rows: outbox } = await f.pool.query<{ payload: string }>('select payload from messaging_outbox order by seq');
    expect(outbox.map((r: { payload: string }) => r.payload)).toEqual(recs.map((r) => r.payload));
  });

  it('rolls everything back when a statement fails, surfaces its error and leaves the connection usable', async () => {
    const f = await fixture();
    const id = randomUUID();
    const note = { sql: 'insert into notes (id, body, tags, at) values ($1, $2, $3, now())', params: [id, 'first', '[]'] };
    await commitInOneRoundTrip(f.pool, [note], []);
    // The second insert of the same id fails after the first statement of this transaction.
    const other = { sql: 'insert into notes (id, body, tags, at) values ($1, $2, $3, now())', params: [randomUUID(), 'second', '[]'] };
    await expect(commitInOneRoundTrip(f.pool, [other, note], records(1))).rejects.toMatchObject({ code: '23505' });
    const { rows } = await f.pool.query('select body from notes order by body');
    expect(rows).toEqual([{ body: 'first' }]);
    const { rows: outbox } = await f.pool.query('select count(*)::int as n from messaging_outbox');
    expect(outbox[0].n).toBe(0);
    // Every pooled connection still works (none was left inside the failed transaction).
    await Promise.all(Array.from({ length: 10 }, () => f.pool.query('select 1')));
    await commitInOneRoundTrip(f.pool, [other], []);
  });
});

describe('createGroupCommit', () => {
  const note = (id = randomUUID()) => ({ sql: 'insert into notes (id, body, tags, at) values ($1, $2, $3, now())', params: [id, `note ${id}`, '[]'] });

  /** The pool, recording the queries its connections are sent for transactions (statement preparation aside). */
  function counted(f: Fixture): { pool: typeof f.pool; queries: () => number; texts: string[] } {
    const texts: string[] = [];
    const connect = f.pool.connect.bind(f.pool);
    const patched = new WeakSet<object>();
    const pool = Object.assign(Object.create(f.pool) as typeof f.pool, {
      connect: async () => {
        const client = await connect();
        if (patched.has(client)) return client; // a pooled connection, recorded already
        patched.add(client);
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
          if (!isPreparation(args[0])) texts.push(typeof args[0] === 'string' ? args[0] : '');
          return query(...args);
        };
        return client;
      },
    });
    return { pool, queries: () => texts.length, texts };
  }

  it('commits the callers that arrive while a group is in flight as one transaction, each getting its own rows', async () => {
    const f = await fixture();
    const { pool, queries } = counted(f);
    const published: CommittedOutboxRow[][] = [];
    const commit = createGroupCommit(pool, { concurrency: 1, onCommitted: (rows) => void published.push([...rows]) });
    const callers = Array.from({ length: 20 }, () => records(1));
    const results = await Promise.all(callers.map((recs) => commit([note()], recs)));
    results.forEach((rows, k) => expect(rows.map((r) => r.id)).toEqual(callers[k]!.map((r) => r.id)));
    expect(queries()).toBe(2); // the first alone, the other 19 together
    expect(published.map((g) => g.length)).toEqual([1, 19]);
    const { rows } = await f.pool.query<{ n: number }>('select (select count(*)::int from notes) + (select count(*)::int from messaging_outbox) as n');
    expect(rows[0]!.n).toBe(40);
  });

  it('merges the callers\' mergeable writes into one statement per key, and still fails only the caller at fault', async () => {
    const f = await fixture();
    const { pool, texts } = counted(f);
    const taken = randomUUID();
    await commitInOneRoundTrip(f.pool, [note(taken)], []);
    const noteRow = (id: string): MergeableWrite<string> => ({
      key: 'notes',
      rows: [id],
      build: (ids) => ({ sql: "insert into notes (id, body, tags, at) select id, 'merged', '[]', now() from unnest($1::uuid[]) as id", params: [ids] }),
    });
    const commit = createGroupCommit(pool, { concurrency: 1 });
    const ids = Array.from({ length: 12 }, (_, k) => (k === 7 ? taken : randomUUID()));
    const outcomes = await Promise.allSettled(ids.map((id) => commit([noteRow(id)], records(1))));
    expect(outcomes.map((o) => o.status)).toEqual(ids.map((_, k) => (k === 7 ? 'rejected' : 'fulfilled')));
    // Every transaction sent begin, one insert into notes, the outbox insert and commit, however
    // many callers it held.
    const transactions = texts.filter((text) => text.startsWith('begin'));
    expect(transactions.length).toBeGreaterThan(0);
    for (const text of transactions) expect(text.split(';\n')).toHaveLength(4);
    expect(texts.some((text) => text.includes(ids[3]!) && text.includes(ids[4]!))).toBe(true);
    const { rows } = await f.pool.query<{ n: number }>("select count(*)::int as n from notes where body = 'merged'");
    expect(rows[0]!.n).toBe(11);
  });

  it('fails only the caller whose statement fails; the rest of its group commits', async () => {
    const f = await fixture();
    const taken = randomUUID();
    await commitInOneRoundTrip(f.pool, [note(taken)], []);
    const published: CommittedOutboxRow[] = [];
    const commit = createGroupCommit(f.pool, { concurrency: 1, onCommitted: (rows) => void published.push(...rows) });
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, k) => commit([note(k === 6 ? taken : undefined)], records(1))));
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map((_, k) => (k === 6 ? 'rejected' : 'fulfilled')));
    expect((outcomes[6] as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
    const { rows } = await f.pool.query<{ notes: number; outbox: number }>(
      'select (select count(*)::int from notes) as notes, (select count(*)::int from messaging_outbox) as outbox',
    );
    expect(rows[0]).toEqual({ notes: 10, outbox: 9 });
    expect(published).toHaveLength(9);
  });
});

import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { commitInOneRoundTrip, toOutboxRecords } from '../src/index.js';
import { createFixture, type Fixture } from './fixture.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fixture(): Promise<Fixture> {
  const f = await createFixture();
  cleanups.push(() => f.close());
  await f.pool.query("create table notes (id uuid primary key, body text not null, tags jsonb not null, at timestamptz not null)");
  return f;
}

function records(n: number) {
  const drafts = Array.from({ length: n }, () => ({ type: 'inventory.rejected' as const, orderId: randomUUID(), data: { reason: 'OUT_OF_STOCK' as const, skus: ["it's"] } }));
  return toOutboxRecords(drafts, { source: 'inventory', correlationId: 'one-rt' }).records;
}

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

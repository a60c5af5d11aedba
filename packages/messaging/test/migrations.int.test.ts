import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { createTestDatabase } from '@orderflow/testkit';
import { messagingMigrations } from '../src/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The messaging migrations up to and including `tag`, in a folder of their own. */
async function migrationsUpTo(tag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'messaging-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(messagingMigrations.folder, dir, { recursive: true });
  const journalFile = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { idx: number; tag: string }[] };
  const last = journal.entries.findIndex((e) => e.tag === tag);
  expect(last).toBeGreaterThanOrEqual(0);
  journal.entries = journal.entries.slice(0, last + 1);
  await writeFile(journalFile, JSON.stringify(journal));
  return dir;
}

describe('messaging migrations', () => {
  it('turn the outbox into a queue on upgrade: published rows go, unpublished rows stay to be published', async () => {
    const db = await createTestDatabase({ prefix: 'messaging_migrations' });
    const pool = db.createPool({ max: 2 });
    cleanups.push(() => db.drop());
    const orm = drizzle({ client: pool });
    const table = messagingMigrations.table;

    // A database as the previous release left it: published rows kept, with published_at set.
    await migrate(orm, { migrationsFolder: await migrationsUpTo('0002_drop_outbox_notify'), migrationsTable: table });
    await pool.query(
      `insert into messaging_outbox (id, subject, payload, published_at) values
         (gen_random_uuid(), 'order.placed.a', '{}', now()), (gen_random_uuid(), 'order.placed.b', '{}', now()),
         (gen_random_uuid(), 'order.placed.c', '{}', null)`,
    );

    await migrate(orm, { migrationsFolder: messagingMigrations.folder, migrationsTable: table });

    const { rows } = await pool.query<{ subject: string }>('select subject from messaging_outbox');
    expect(rows).toEqual([{ subject: 'order.placed.c' }]);
    const { rows: indexes } = await pool.query<{ table: string; def: string }>(
      `select tablename as table, indexdef as def from pg_indexes where tablename in ('messaging_outbox', 'messaging_inbox') order by indexname`,
    );
    // The outbox keeps only its primary key; the inbox's prune index is BRIN.
    expect(indexes.filter((i) => i.table === 'messaging_outbox').map((i) => i.def)).toEqual([expect.stringContaining('(seq)')]);
    expect(indexes.filter((i) => i.table === 'messaging_inbox').map((i) => i.def)).toEqual([
      expect.stringContaining('btree (consumer, event_id)'),
      expect.stringContaining('USING brin (processed_at)'),
    ]);
  });
});

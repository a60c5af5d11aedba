import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { statementTemplate } from '../src/db.js';

const things = pgTable('things', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  note: text('note'),
  tags: jsonb('tags').$type<string[]>().notNull(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  kind: text('kind').notNull().default('plain'),
});

// Never connects: only builds SQL.
const db = drizzle({ connection: 'postgres://nobody@127.0.0.1:1/none' });
type Row = { id: string; name: string; note: string | null; tags: string[]; at: Date };
const row = (k: number): Row => ({ id: `00000000-0000-4000-8000-00000000000${k}`, name: `n${k}`, note: k % 2 ? null : 'x', tags: ['a', `t${k}`], at: new Date(1_700_000_000_000 + k) });

describe('statementTemplate', () => {
  const statement = (d: typeof db, r: Row) => d.insert(things).values(r).onConflictDoNothing();
  const insert = statementTemplate<typeof db, Row>(['id', 'name', 'note', 'tags', 'at'], statement);

  it('renders what the drizzle builder renders for the same row, column encodings included, on every call', () => {
    for (const k of [1, 2, 3]) {
      expect(insert(db, row(k)).toSQL()).toEqual(statement(db, row(k)).toSQL());
    }
    expect(insert(db, row(2)).toSQL().params).toEqual(['00000000-0000-4000-8000-000000000002', 'n2', 'x', '["a","t2"]', new Date(1_700_000_000_002).toISOString()]);
  });

  it('builds the statement once', () => {
    let builds = 0;
    const counted = statementTemplate<typeof db, { name: string }>(['name'], (d, v) => {
      builds += 1;
      return d.select().from(things).where(sql`${things.name} = ${v.name}`);
    });
    for (let k = 0; k < 5; k++) expect(counted(db, { name: `n${k}` }).toSQL().params).toEqual([`n${k}`]);
    expect(builds).toBe(1);
  });

  it('refuses a row that lacks a placeholder\'s value instead of sending a short statement', () => {
    const { note: _note, ...short } = row(1);
    expect(() => insert(db, short as Row).toSQL()).toThrow(/placeholder "note"/);
  });
});

import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { createRequire } from 'node:module';
import { inlineQuery, literalOf, mergeWrites, quoteLiteral, type MergeableWrite } from '../src/index.js';

// pg's conversion of a parameter to the text it sends: the reference for inlined arrays.
const pgUtils = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(v: unknown): string };

// pg's own escaping, without a connection.
const escapeLiteral = (s: string) => pg.Client.prototype.escapeLiteral.call({}, s);

describe('inlining parameters for one-round-trip transactions', () => {
  it('dollar-quotes a string without a $, whatever quotes and backslashes it holds', () => {
    expect(quoteLiteral("O'Brien")).toBe("$o$O'Brien$o$");
    expect(quoteLiteral('a\\b "c"')).toBe('$o$a\\b "c"$o$');
    expect(quoteLiteral('')).toBe('$o$$o$');
  });

  it('quotes a string with a $ in it the way pg does, since it could hold or end the tag', () => {
    for (const s of ["$o$'; drop table x; --", 'price $5', 'ends in $o', "it's $1 \\ back", '$']) expect(quoteLiteral(s)).toBe(escapeLiteral(s));
  });

  it('writes numbers, booleans, null, dates and JSON as literals', () => {
    expect(literalOf(42)).toBe('42');
    expect(literalOf(-1.5)).toBe('-1.5');
    expect(literalOf(10n)).toBe('10');
    expect(literalOf(true)).toBe('true');
    expect(literalOf(null)).toBe('null');
    expect(literalOf(undefined)).toBe('null');
    expect(literalOf(new Date('2026-01-02T03:04:05.678Z'))).toBe('$o$2026-01-02T03:04:05.678Z$o$');
    expect(literalOf({ sku: 'A', quantity: 1 })).toBe('$o${"sku":"A","quantity":1}$o$');
    expect(literalOf({ price: '$5' })).toBe(`'{"price":"$5"}'`);
  });

  it('writes an array as the array literal pg sends for an array parameter (unnest($1::uuid[]))', () => {
    const values = ['a"b', 'c\\d', null, 'x,y', { k: 1 }, 7, true];
    const prepared = pgUtils.prepareValue(values);
    expect(literalOf(values)).toBe(`$o$${prepared}$o$`);
    expect(literalOf([...values, '$'])).toBe(escapeLiteral(pgUtils.prepareValue([...values, '$'])));
    expect(literalOf([])).toBe('$o${}$o$');
    expect(literalOf([new Date('2026-01-02T03:04:05.678Z')])).toBe('$o${"2026-01-02T03:04:05.678Z"}$o$');
  });

  it('refuses what it cannot write faithfully', () => {
    expect(() => literalOf(Number.NaN)).toThrow(TypeError);
    expect(() => literalOf(Buffer.from('x'))).toThrow(TypeError);
  });

  it('replaces every placeholder, $10 included, and refuses one without a value', () => {
    const params = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    const sql = params.map((_, i) => `$${i + 1}`).join(', ');
    expect(inlineQuery({ sql: `values (${sql})`, params })).toBe(`values (${params.map((p) => `$o$${p}$o$`).join(', ')})`);
    expect(() => inlineQuery({ sql: 'select $2', params: ['x'] })).toThrow(RangeError);
  });
});

describe('mergeWrites', () => {
  const insert = (table: string) => (rows: readonly number[]) => ({ sql: `insert into ${table} select unnest($1::int[])`, params: [rows] });
  const rowOf = (table: string, n: number): MergeableWrite<number> => ({ key: table, rows: [n], build: insert(table) });
  const plain = (text: string) => ({ sql: text, params: [] });

  it('joins the rows of each key into one statement where the key first appeared, in the order given', () => {
    // Three callers, each: a parent row, then its child; one plain statement in between.
    const merged = mergeWrites([rowOf('parents', 1), rowOf('children', 10), plain('select 1'), rowOf('parents', 2), rowOf('children', 20), rowOf('parents', 3)]);
    expect(merged).toEqual([
      { sql: 'insert into parents select unnest($1::int[])', params: [[1, 2, 3]] },
      { sql: 'insert into children select unnest($1::int[])', params: [[10, 20]] },
      plain('select 1'),
    ]);
  });

  it('leaves plain statements alone, in their order', () => {
    const writes = [plain('a'), plain('b'), plain('c')];
    expect(mergeWrites(writes)).toEqual(writes);
    expect(mergeWrites([])).toEqual([]);
  });

  it('keeps every row of a write that brings several', () => {
    expect(mergeWrites([{ ...rowOf('t', 1), rows: [1, 2] }, rowOf('t', 3)])).toEqual([insert('t')([1, 2, 3])]);
  });
});

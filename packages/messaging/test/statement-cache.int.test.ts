import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { prepareStatements, REPLAN_EVERY, statementText } from '../src/statement-cache.js';
import type { ParameterizedQuery } from '../src/index.js';
import { fixtureScope, type Fixture } from './fixture.js';

const { cleanups, fixture } = fixtureScope();

async function client(): Promise<{ f: Fixture; client: pg.PoolClient; sent: string[] }> {
  const f = await fixture();
  const c = await f.pool.connect();
  cleanups.push(async () => c.release()); // before the fixture closes
  const sent: string[] = [];
  const query = c.query.bind(c) as (...args: unknown[]) => unknown;
  (c as unknown as { query: unknown }).query = (...args: unknown[]) => {
    if (typeof args[0] === 'string') sent.push(args[0]);
    return query(...args);
  };
  return { f, client: c, sent };
}

/** One multi-statement transaction, as the runner sends them: prepare what is missing, then begin … commit. */
async function transaction(c: pg.PoolClient, query: ParameterizedQuery): Promise<Record<string, unknown>[]> {
  await prepareStatements(c);
  const results = (await c.query(['begin', statementText(c, query), 'commit'].join(';\n'))) as unknown as pg.QueryResult[];
  return results[1]!.rows as Record<string, unknown>[];
}

describe('statements prepared for the multi-statement round trips', () => {
  it('runs a statement inlined the first time, then as EXECUTE of a statement prepared once on the connection, with the same results', async () => {
    const { client: c, sent } = await client();
    // Values that need quoting, in an array and alone, and a null.
    const values = [`O'Brien "\\ {a,b} ✓`, 'NULL', null, ''];
    const marker = randomUUID();
    const query = {
      sql: `select v, $2::text as tag, $3::int as n from unnest($1::text[]) with ordinality as u(v, k) order by k /* ${marker} */`,
      params: [values, "it's", 7],
    };
    const expected = values.map((v) => ({ v, tag: "it's", n: 7 }));
    for (let i = 0; i < 4; i++) expect(await transaction(c, query)).toEqual(expected);
    // (Statements of the other tests, which this process has seen too, are prepared as well.)
    expect(sent.filter((q) => q.startsWith('prepare ') && q.includes(marker))).toHaveLength(1);
    const runs = sent.filter((q) => q.startsWith('begin'));
    expect(runs[0]).toContain('select v,');
    for (const run of runs.slice(1)) expect(run).toMatch(/^begin;\nexecute m\w+\(.*\);\ncommit$/s);
    const { rows } = await c.query<{ n: number }>('select count(*)::int as n from pg_prepared_statements where statement like $1', [`%${marker}%`]);
    expect(rows[0]!.n).toBe(1);
  });

  it('keeps inlining a statement Postgres cannot prepare, without asking again', async () => {
    const { client: c, sent } = await client();
    // A parameter whose type nothing tells: Postgres refuses to prepare it, a literal is fine.
    const marker = randomUUID();
    const query = { sql: `select $1 is null as v /* ${marker} */`, params: ['x'] };
    for (let i = 0; i < 3; i++) expect(await transaction(c, query)).toEqual([{ v: false }]);
    expect(sent.filter((q) => q.startsWith('prepare ') && q.includes(marker))).toHaveLength(1);
    for (const run of sent.filter((q) => q.startsWith('begin'))) expect(run).toContain('select $o$x$o$ is null as v');
  });

  it('prepares a statement again after REPLAN_EVERY runs, so its plan follows the tables', async () => {
    const { client: c, sent } = await client();
    const marker = randomUUID();
    const query = { sql: `select count(*)::int as n from unnest($1::int[]) /* ${marker} */`, params: [[1, 2, 3]] };
    for (let i = 0; i < REPLAN_EVERY + 3; i++) expect(await transaction(c, query)).toEqual([{ n: 3 }]);
    const prepares = sent.filter((q) => q.startsWith('prepare ') && q.includes(marker));
    expect(prepares).toHaveLength(2);
    const name = prepares[0]!.split(' ')[1]!;
    expect(sent.filter((q) => q === `deallocate ${name}`)).toHaveLength(1);
  });

  it('uses a statement already prepared on the connection under its name', async () => {
    const { client: c, sent } = await client();
    const marker = randomUUID();
    const query = { sql: `select $1::int + 1 as n /* ${marker} */`, params: [41] };
    expect(await transaction(c, query)).toEqual([{ n: 42 }]); // seen, inlined
    // Someone prepared it there first, under the name the cache gives it.
    const other = await client();
    expect(await transaction(other.client, query)).toEqual([{ n: 42 }]); // prepared on the other connection
    const name = other.sent.find((q) => q.startsWith('prepare ') && q.includes(marker))!.split(' ')[1]!;
    await c.query(`prepare ${name} as ${query.sql}`);
    for (let i = 0; i < 2; i++) expect(await transaction(c, query)).toEqual([{ n: 42 }]);
    expect(sent.filter((q) => q.startsWith('begin')).at(-1)).toContain(`execute ${name}(41)`);
  });
});

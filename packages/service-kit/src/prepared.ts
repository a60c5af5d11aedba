import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Distinct statements named per process; beyond this, new ones run unnamed (as pg's default). */
const MAX_NAMED = 2000;
const names = new Map<string, string>();

/** A stable statement name for `text`, or undefined once the table is full. */
function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `p${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
    names.set(text, name);
  }
  return name;
}

/** Parameters of a statement worth naming: some, and none an array (see prepareByDefault). */
function namable(params: unknown): boolean {
  return Array.isArray(params) && params.length > 0 && !params.some(Array.isArray);
}

/**
 * Makes every parameterized query on `client` a named prepared statement, so Postgres parses and
 * plans each distinct statement once per connection instead of on every execution. drizzle
 * never names its statements; in the benchmark, parsing and planning them was most of
 * Postgres' CPU. Queries that carry a name, take no parameters or are submittables
 * (cursors, streams) pass through unchanged.
 *
 * Except set-based statements (any parameter is an array: `unnest($1::uuid[])`, `= any($1)`):
 * they run once per batch, not per event, and their best plan depends on the batch's size and the
 * tables' current sizes. Postgres settles a named statement on a generic plan after five runs
 * and keeps it; made while a table was small (a new database, the benchmark's), that plan is a
 * hash join over a sequential scan, and it went on scanning whole tables of thousands of rows for
 * every batch as they grew. Unnamed, they are planned at each execution for the tables as they are.
 *
 * Hazard: a prepared statement's plan outlives DDL on the tables it reads (`cached plan must not
 * change result type`): run schema changes before the pool serves queries, as startService does.
 */
export function prepareByDefault(client: pg.ClientBase): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (config: unknown, values?: unknown, callback?: unknown): unknown => {
    if (typeof config === 'string' && namable(values)) {
      const name = nameOf(config);
      if (name !== undefined) return original({ text: config, values, name }, callback);
    } else if (config !== null && typeof config === 'object' && !('submit' in config)) {
      const q = config as pg.QueryConfig;
      const params = Array.isArray(values) ? values : q.values;
      if (q.name === undefined && typeof q.text === 'string' && namable(params)) {
        const name = nameOf(q.text);
        if (name !== undefined) return original({ ...q, name }, values, callback);
      }
    }
    return original(config, values, callback);
  };
}

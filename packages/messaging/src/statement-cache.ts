import { createHash } from 'node:crypto';
import type pg from 'pg';
import { inlineQuery, literalOf, type ParameterizedQuery } from './one-round-trip.js';

/** Distinct statements prepared per process; beyond this, new ones are only ever inlined. */
const MAX_STATEMENTS = 500;
/**
 * Executions of a prepared statement on one connection before it is prepared again. Postgres
 * keeps the generic plan it settles on after five runs; made while the tables were small (a new
 * database), that plan can be a sequential scan that stays after the tables have grown. Preparing
 * again now and then makes the plan follow the tables, for one extra round trip per this many runs.
 */
export const REPLAN_EVERY = 200;

/**
 * Statement text → its name, once seen with parameters, for the whole process (a service has one
 * database). `null`: Postgres refused to prepare it once (for a process with several databases:
 * on one that lacked its table, say), and it is inlined from then on.
 */
const names = new Map<string, string | null>();
/** Per connection: the names prepared there, with the executions left before preparing again. */
const preparedOn = new WeakMap<pg.ClientBase, Map<string, number>>();

function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_STATEMENTS) {
    name = `m${createHash('sha1').update(text).digest('base64url').slice(0, 22).replace(/-/g, '_')}`;
    names.set(text, name);
  }
  return name ?? undefined;
}

/**
 * The text that runs `query` on `client` inside a multi-statement round trip (which takes no
 * parameters): `execute <name>(<values>)` when the statement is prepared on that connection, so
 * Postgres neither parses nor plans it again; otherwise the statement with its values inlined, as
 * before, and the statement is remembered for `prepareStatements` to prepare on each connection.
 * The values are literals either way (`literalOf`).
 */
export function statementText(client: pg.ClientBase, query: ParameterizedQuery): string {
  if (query.params.length === 0) return query.sql;
  const name = nameOf(query.sql);
  const left = name === undefined ? undefined : preparedOn.get(client)?.get(name);
  if (name === undefined || left === undefined) return inlineQuery(query);
  preparedOn.get(client)!.set(name, left - 1);
  return `execute ${name}(${query.params.map(literalOf).join(', ')})`;
}

/**
 * Hazard: `deallocate all` or `discard all` on a pooled connection would leave `execute`s of
 * statements that no longer exist; nothing here sends either.
 *
 * Prepares on `client` every statement `statementText` has seen that it lacks, and prepares
 * again those run `REPLAN_EVERY` times there. Call it outside a transaction, before `begin`:
 * each statement is its own round trip, so a statement Postgres cannot prepare (a parameter
 * whose type it cannot tell) fails alone, is never tried again, and stays inlined. Nothing to do
 * (nearly always, once a connection has run each statement) costs no round trip.
 */
export async function prepareStatements(client: pg.ClientBase): Promise<void> {
  let prepared = preparedOn.get(client);
  if (prepared === undefined) {
    prepared = new Map();
    preparedOn.set(client, prepared);
  }
  for (const [text, name] of names) {
    if (name === null) continue;
    const left = prepared.get(name);
    if (left !== undefined && left > 0) continue;
    if (left !== undefined) {
      await client.query(`deallocate ${name}`).catch((err: unknown) => {
        if (codeOf(err) !== '26000') throw err; // already gone: nothing to deallocate
      });
      prepared.delete(name);
    }
    try {
      await client.query(`prepare ${name} as ${text}`);
      prepared.set(name, REPLAN_EVERY);
    } catch (err) {
      const code = codeOf(err);
      // Already there (the name is a hash of the text, so it is this statement): use it.
      if (code === '42P05') prepared.set(name, REPLAN_EVERY);
      // Only a refusal to prepare this statement (class 42: an untyped parameter, say) makes it
      // inline-only; anything else (a lost connection) is the caller's failure like any other.
      else if (code?.startsWith('42')) names.set(text, null);
      else throw err;
    }
  }
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

import { getTableColumns, sql, type ExtractTablesWithRelations, type InferSelectModel, type SQL, type Table } from 'drizzle-orm';
import type { ParameterizedQuery, SqlExecutor } from '@orderflow/messaging';
import { drizzle, type NodePgDatabase, type NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import { PgDialect, type PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Logger } from './logger.js';
import { prepareByDefault } from './prepared.js';

/** A service's drizzle database over a pg pool. Never a singleton: build it in `main.ts`. */
export type Db<TSchema extends Record<string, unknown> = Record<string, never>> = NodePgDatabase<TSchema> & {
  $client: pg.Pool;
};

/** The transaction handed to `db.transaction(async (tx) => ...)`; repositories take it as a parameter. */
export type Tx<TSchema extends Record<string, unknown> = Record<string, never>> = PgTransaction<
  NodePgQueryResultHKT,
  TSchema,
  ExtractTablesWithRelations<TSchema>
>;

/** Options of {@link createDb}. */
export interface CreateDbOptions<TSchema extends Record<string, unknown>> {
  /** The service's drizzle schema (tables, relations), for `db.query.*`. */
  readonly schema?: TSchema;
  /** Pool size; default 10. Size it against Postgres `max_connections` times replicas. */
  readonly max?: number;
  /**
   * How long to wait for a connection (new or from a full pool) before failing, in ms; default
   * 10 000. pg's own default waits forever, which turns a dead database into hung requests.
   */
  readonly connectionTimeoutMillis?: number;
  /** Name every parameterized statement, so Postgres plans it once per connection (default true; see prepared.ts). */
  readonly prepare?: boolean;
  /** Receives pool errors; without it they are only swallowed. */
  readonly logger?: Logger;
}

/** What {@link createDb} returns. */
export interface DbHandle<TSchema extends Record<string, unknown>> {
  readonly db: Db<TSchema>;
  readonly pool: pg.Pool;
  /** Ends the pool (waits for checked-out clients to be released). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a pg pool and a drizzle database on it.
 *
 * Hazard handled: when Postgres restarts or kills a connection, pg emits `error` on the pool for
 * idle clients; with no listener, Node turns that into an uncaught exception and the service
 * dies. The listener logs it instead; the pool drops the broken client and opens a new one on
 * the next query.
 */
export function createDb<TSchema extends Record<string, unknown> = Record<string, never>>(
  url: string,
  options: CreateDbOptions<TSchema> = {},
): DbHandle<TSchema> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
  });
  pool.on('error', (err) => {
    options.logger?.warn({ err }, 'idle postgres connection failed; it will be replaced');
  });
  if (options.prepare ?? true) pool.on('connect', prepareByDefault);
  const db = (options.schema === undefined ? drizzle({ client: pool }) : drizzle({ client: pool, schema: options.schema })) as Db<TSchema>;
  let closing: Promise<void> | undefined;
  return {
    db,
    pool,
    close() {
      // pg throws when end() is called twice; shutdown paths may well do that.
      closing ??= pool.end();
      return closing;
    },
  };
}

/**
 * Creates database `name` unless it exists, connecting with `adminUrl` (a role allowed to
 * CREATE DATABASE). Safe when several processes race to create the same database: the loser's
 * duplicate error is treated as success. Returns true when this call created it.
 */
export async function ensureDatabase(adminUrl: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  // An 'error' event on an unlistened client would crash the process.
  client.on('error', () => {});
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount !== null && rowCount > 0) return false;
    try {
      await client.query(`create database ${client.escapeIdentifier(name)}`);
      return true;
    } catch (err) {
      // 42P04 duplicate_database; 23505 when two CREATE DATABASE commands race past the
      // catalog check and collide on pg_database's unique index instead.
      if (isPgError(err, '42P04') || isPgError(err, '23505')) return false;
      throw err;
    }
  } finally {
    await client.end();
  }
}

/** `adminUrl` with its database name replaced by `name` (credentials, host and query kept). */
export function databaseUrlFor(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** True when `err` is a Postgres error with SQLSTATE `code`, or wraps one (`cause`). */
export function isPgError(err: unknown, code: string): boolean {
  // drizzle wraps the driver's error (DrizzleQueryError, the pg error as `cause`).
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

/**
 * Serializes every handler of one order until the transaction ends (a transaction-level
 * advisory lock). Two consumers of one service (or two replicas) may otherwise handle the same
 * order at once — e.g. a cancel racing a charge — and each see the other's row missing.
 * Two-key lock space 7001, apart from the migration lock.
 */
export async function lockOrder(tx: SqlExecutor, orderId: string): Promise<void> {
  await lockOrders(tx, [orderId]);
}

/**
 * `lockOrder` for many orders at once, in one statement, taking the locks in a fixed (key)
 * order so two transactions locking overlapping sets wait instead of deadlocking.
 */
export async function lockOrders(tx: SqlExecutor, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  await tx.execute(lockOrdersStatement(orderIds));
}

/** The statement of `lockOrders`, not run (e.g. for a consumer's `reads`). */
export function lockOrdersStatement(orderIds: readonly string[]): SQL {
  return sql`select pg_advisory_xact_lock(7001, k) from (select distinct hashtext(id) as k from unnest(${sql.param([...orderIds])}::text[]) as id order by k) as keys`;
}

/**
 * Rows of `select *` from `table` as pg returned them (snake_case columns, values parsed by pg's
 * type parsers) turned into what drizzle's `select().from(table)` gives: each column under its
 * property name, decoded by the column (JSON, timestamps). For statements run outside drizzle,
 * such as a consumer's `reads`.
 */
export function rowsOf<T extends Table>(table: T, rows: readonly Record<string, unknown>[]): InferSelectModel<T>[] {
  const columns = Object.entries(getTableColumns(table));
  return rows.map(
    (row) =>
      Object.fromEntries(
        columns.map(([key, column]) => {
          const value = row[column.name];
          // pg has already parsed timestamps into Dates; drizzle's decoders expect its own text.
          return [key, value === null || value === undefined ? null : value instanceof Date ? value : column.mapFromDriverValue(value)];
        }),
      ) as InferSelectModel<T>,
  );
}

const dialect = new PgDialect();

/**
 * A drizzle `sql` statement rendered to its text and values, not run: what the consumer runner
 * takes for a consumer's `reads` and a batch handler's `ctx.atCommit`.
 */
export function renderSql(statement: SQL): ParameterizedQuery {
  const { sql: text, params } = dialect.sqlToQuery(statement);
  return { sql: text, params };
}

/** A statement reading each order's state, for a batch's order ids, and how its rows become states. */
export type OrderStatesRead<S> = {
  readonly statement: (orderIds: readonly string[]) => SQL;
  readonly statesOf: (rows: readonly Record<string, unknown>[]) => readonly S[];
};

const byOrderId = <S extends { readonly orderId: string }>(states: readonly S[]) => new Map(states.map((s) => [s.orderId, s]));

/**
 * The locking protocol of a set-based handler: `lockOrders` on every distinct order of the batch,
 * then each order's state read under those locks (one statement for all), by order id. Each
 * statement awaited; `lockAndReadOrdersReads` and `readUnderOrderLocks` are the same protocol in
 * the consumer runner's two round trips, with the same `statement` and `statesOf`.
 */
export async function lockAndReadOrders<S extends { readonly orderId: string }>(
  tx: SqlExecutor,
  orderIds: readonly string[],
  { statement, statesOf }: OrderStatesRead<S>,
): Promise<Map<string, S>> {
  const ids = [...new Set(orderIds)];
  if (ids.length === 0) return new Map();
  await lockOrders(tx, ids);
  return byOrderId(statesOf((await tx.execute(statement(ids))).rows as Record<string, unknown>[]));
}

/**
 * `lockAndReadOrders` as a consumer's `reads`: the locks of the batch's distinct orders, then
 * `statement` of them, rendered for the runner to send with `begin` (nothing when there is no
 * order). The batch handler gets the states with `readUnderOrderLocks(ctx.read, …)`; statements
 * a consumer adds after these two come at `ctx.read[2]` on.
 */
export function lockAndReadOrdersReads(orderIds: readonly string[], { statement }: Pick<OrderStatesRead<unknown>, 'statement'>): ParameterizedQuery[] {
  const ids = [...new Set(orderIds)];
  return ids.length === 0 ? [] : [renderSql(lockOrdersStatement(ids)), renderSql(statement(ids))];
}

/** The states `lockAndReadOrdersReads` read, from a batch handler's `ctx.read`, by order id (none when nothing was read). */
export function readUnderOrderLocks<S extends { readonly orderId: string }>(
  read: readonly (readonly Record<string, unknown>[])[],
  { statesOf }: Pick<OrderStatesRead<S>, 'statesOf'>,
): Map<string, S> {
  return byOrderId(statesOf(read[1] ?? []));
}

/**
 * One column of `rows` as a single array parameter, for set-based statements
 * (`insert … select * from unnest($1::uuid[], $2::text[], …)`): one prepared statement serves
 * every batch size, where a multi-row VALUES list would be a new statement per size.
 */
export function arrayParam<T, V>(rows: readonly T[], pick: (row: T) => V) {
  return sql.param(rows.map(pick));
}

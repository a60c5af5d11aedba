import type pg from 'pg';
import { INSERT_OUTBOX_TEXT, insertOutboxValues, withSeqs, type CommittedOutboxRow, type OutboxRecord } from './outbox.js';
import { prepareStatements, statementText } from './statement-cache.js';
import { withTransactionClient } from './transaction-client.js';

/** A statement with `$n` placeholders and their values: what drizzle's `.toSQL()` returns. */
export interface ParameterizedQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * Rows for a set-based statement, which `mergeWrites` joins with every other write of the same
 * `key` in the same transaction: the single-row inserts of twenty callers of a group commit (or of
 * a write-only batch's twenty events) become one statement, which Postgres parses, plans and
 * starts once instead of twenty times. Every write of one key must build the same statement.
 */
export interface MergeableWrite<R = unknown> {
  readonly key: string;
  readonly rows: readonly R[];
  /** The one statement for all the rows of this key in a transaction, in the order given. */
  build(rows: readonly R[]): ParameterizedQuery;
}

/** A write of a one-round-trip transaction: a statement, or rows to merge (`MergeableWrite`). */
export type Write = ParameterizedQuery | MergeableWrite<unknown>;

function isMergeable(write: Write): write is MergeableWrite<unknown> {
  return 'build' in write;
}

/**
 * The statements of `writes`, with the mergeable ones of each key joined into one statement
 * (`MergeableWrite`), which runs where the key's first write was. So rows of a key move up past
 * the statements between their write and the key's first: a key's rows must not depend on them
 * (within one caller's writes, e.g. an order and then its timeline, order is kept).
 */
export function mergeWrites(writes: readonly Write[]): ParameterizedQuery[] {
  const slots: (ParameterizedQuery | MergeableWrite<unknown>[])[] = [];
  const byKey = new Map<string, MergeableWrite<unknown>[]>();
  for (const write of writes) {
    if (!isMergeable(write)) {
      slots.push(write);
      continue;
    }
    let same = byKey.get(write.key);
    if (same === undefined) {
      same = [];
      byKey.set(write.key, same);
      slots.push(same);
    }
    same.push(write);
  }
  return slots.map((slot) => (Array.isArray(slot) ? slot[0]!.build(slot.flatMap((w) => w.rows)) : slot));
}

/**
 * A string constant holding `text` exactly. Without a `$` in it, a dollar-quoted constant
 * (`$o$…$o$`): Postgres reads everything up to the closing tag as it is, so nothing needs
 * escaping and building it is one scan of the text. Payloads of JSON, doubly escaped inside an
 * array literal, made pg's `escapeLiteral` (a loop over every character) the largest single item
 * of the order service's profile. Otherwise the standard form, as pg's `escapeLiteral` writes it:
 * quotes doubled, and with backslashes doubled in an `E''` constant.
 */
export function quoteLiteral(text: string): string {
  if (!text.includes('$')) return `$o$${text}$o$`;
  const quoted = text.includes("'") ? text.replace(/'/g, "''") : text;
  return text.includes('\\') ? ` E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}

/**
 * The SQL literal of a parameter value as drizzle hands it to the driver (already mapped to
 * driver values: timestamps as ISO strings, jsonb as JSON text). Strings are quoted by
 * `quoteLiteral`; anything else that is not a number, boolean, Date or null is sent as its
 * JSON text, which Postgres casts to the column's type like any quoted literal.
 */
export function literalOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot inline the number ${value}`);
    return String(value);
  }
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return quoteLiteral(value);
  if (value instanceof Date) return quoteLiteral(value.toISOString());
  if (Buffer.isBuffer(value)) throw new TypeError('cannot inline a Buffer');
  if (Array.isArray(value)) return quoteLiteral(arrayLiteral(value));
  return quoteLiteral(JSON.stringify(value));
}

/**
 * A Postgres array literal (`{"a","b",NULL}`), as pg sends a JS array parameter: the statement
 * casts it (`unnest($1::uuid[])`), so every element is sent quoted, as text.
 */
function arrayLiteral(values: readonly unknown[]): string {
  const quoted = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const element = (v: unknown): string => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return arrayLiteral(v);
    if (typeof v === 'string') return quoted(v);
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return quoted(String(v));
    return quoted(v instanceof Date ? v.toISOString() : JSON.stringify(v));
  };
  return `{${values.map(element).join(',')}}`;
}

/**
 * `query` with every `$n` replaced by the literal of its value. Only for generated SQL whose
 * text holds no `$n` of its own (drizzle's query builders put every value in `params`).
 */
export function inlineQuery(query: ParameterizedQuery): string {
  return query.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= query.params.length) throw new RangeError(`placeholder $${n} has no value`);
    return literalOf(query.params[i]);
  });
}

/** The outbox insert of `records`, returning each row's `seq` and `id` (arrays as parameters: one text for every batch size). */
export function outboxInsertQuery(records: readonly OutboxRecord[]): ParameterizedQuery {
  return { sql: INSERT_OUTBOX_TEXT, params: insertOutboxValues(records) };
}

/**
 * `begin`, the statements `build` returns for the connection it gets, and `commit`, sent as one
 * multi-statement query: one transaction in one round trip. Returns each statement's result
 * (`begin`'s first). If a statement fails, Postgres skips the rest; the transaction is rolled
 * back here and the failing statement's error (e.g. a unique violation, with its `constraint`)
 * is thrown.
 */
export async function queryInOneRoundTrip(pool: pg.Pool, build: (client: pg.PoolClient) => readonly string[]): Promise<pg.QueryResult[]> {
  return withTransactionClient(pool, async (client) => {
    await prepareStatements(client);
    return (await client.query(['begin', ...build(client), 'commit'].join(';\n'))) as unknown as pg.QueryResult[];
  });
}

/**
 * One transaction in one round trip (`queryInOneRoundTrip`): the writes (mergeable ones merged,
 * `mergeWrites`), then the outbox rows of `records`, each run as a statement prepared on the
 * connection or with its values inlined (`statementText`). For writes that need no
 * answer from the database before the commit, such as inserting a new aggregate and its events.
 * Returns the committed outbox rows, for `relay.publishCommitted`.
 */
export async function commitInOneRoundTrip(
  pool: pg.Pool,
  writes: readonly Write[],
  records: readonly OutboxRecord[],
): Promise<CommittedOutboxRow[]> {
  const statements = mergeWrites(writes);
  const results = await queryInOneRoundTrip(pool, (client) =>
    [...statements, ...(records.length > 0 ? [outboxInsertQuery(records)] : [])].map((q) => statementText(client, q)),
  );
  if (records.length === 0) return [];
  return withSeqs(records, results[statements.length + 1]!.rows as { seq: string; id: string }[]);
}

/** One caller's transaction in a group commit. */
interface Pending {
  readonly statements: readonly Write[];
  readonly records: readonly OutboxRecord[];
  resolve(rows: CommittedOutboxRow[]): void;
  reject(err: unknown): void;
}

export interface GroupCommitOptions {
  /**
   * Group transactions in flight at once (default 2). A caller whose transaction finds them all
   * busy waits, and every caller waiting when one finishes goes into the next group together.
   */
  readonly concurrency?: number;
  /** Receives the committed outbox rows of each group (e.g. `relay.publishCommitted`), once per group. */
  readonly onCommitted?: (rows: readonly CommittedOutboxRow[]) => void;
}

/**
 * Group commit of independent one-round-trip transactions (`commitInOneRoundTrip`): callers that
 * arrive while `concurrency` groups are in flight are committed together, as one transaction in
 * one round trip, when one finishes. When nothing is in flight a caller commits at once, alone,
 * so an idle service adds no wait; under load, N callers cost one round trip, one commit and one
 * publish flush instead of N, and their mergeable writes (`MergeableWrite`) one statement per
 * key. If a group fails (one caller's unique violation, say), each of its callers is committed
 * again on its own, so a caller's failure is only ever its own.
 * Resolves each caller with its own committed outbox rows.
 */
export function createGroupCommit(
  pool: pg.Pool,
  options: GroupCommitOptions = {},
): (statements: readonly Write[], records: readonly OutboxRecord[]) => Promise<CommittedOutboxRow[]> {
  const { concurrency = 2, onCommitted } = options;
  const waiting: Pending[] = [];
  let inFlight = 0;

  async function run(group: Pending[]): Promise<void> {
    try {
      const rows = await commitInOneRoundTrip(
        pool,
        group.flatMap((p) => p.statements),
        group.flatMap((p) => p.records),
      );
      onCommitted?.(rows);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const p of group) p.resolve(p.records.map((r) => byId.get(r.id)!));
    } catch (err) {
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
      // Someone's statement failed and took the group with it: everyone again, alone.
      await Promise.all(group.map((p) => run([p])));
    }
  }

  function pump(): void {
    while (inFlight < concurrency && waiting.length > 0) {
      const group = waiting.splice(0);
      inFlight += 1;
      void run(group).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  }

  return (statements, records) =>
    new Promise<CommittedOutboxRow[]>((resolve, reject) => {
      waiting.push({ statements, records, resolve, reject });
      pump();
    });
}

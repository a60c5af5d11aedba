import type pg from 'pg';
import { inlineQuery, outboxInsertQuery, type ParameterizedQuery } from './one-round-trip.js';
import { withSeqs, type CommittedOutboxRow, type OutboxRecord } from './outbox.js';
import { prepareStatements, statementText } from './statement-cache.js';
import { withTransactionClient } from './transaction-client.js';

/**
 * The inbox insert of one consumer's events, returning the ids not seen before. Every statement
 * of a transaction travels in a multi-statement query, which takes no parameters: each runs as
 * `execute` of a statement prepared on the connection, or inlined until it is (`statementText`).
 */
export function inboxInsertQuery(consumer: string, ids: readonly string[]): ParameterizedQuery {
  return {
    sql: 'insert into messaging_inbox (consumer, event_id) select $1::text, unnest($2::uuid[]) on conflict do nothing returning event_id',
    params: [consumer, ids],
  };
}

/** What a part learns from a transaction's first round trip. */
export interface BegunPart {
  /** The connection of the open transaction (for statements a handler runs itself). */
  readonly client: pg.PoolClient;
  /** The part's event ids (lower case) the inbox had not seen: the fresh events. Its own copy. */
  readonly fresh: Set<string>;
  /** The rows of each of the part's `reads`, in order. */
  readonly read: readonly (readonly Record<string, unknown>[])[];
}

/** What a part sends with the commit. */
export interface PartCommit {
  /** Run before the outbox insert (a batch handler's `atCommit` writes, the write-only path's writes). */
  readonly writes: readonly ParameterizedQuery[];
  /** The outbox rows of the events its handlers returned. */
  readonly records: readonly OutboxRecord[];
  /** Event ids whose inbox rows are deleted again (events a batch handler reported failed). */
  readonly forget: readonly string[];
}

/** One consumer's share of a transaction: its events' inbox rows, reads, handling and writes. */
export interface TransactionPart {
  readonly consumer: string;
  /** The event ids to record in the inbox (lower case, no repeats). */
  readonly ids: readonly string[];
  /** The orders the events belong to: of two parts that share one, the later runs after the earlier's writes. */
  readonly keys: readonly string[];
  /** Statements run with `begin` and the inbox insert; their rows reach `work` as `read`. */
  readonly reads: readonly ParameterizedQuery[];
  /** Handles the events, once the first round trip is back; throwing rolls the transaction back. */
  work(begun: BegunPart): Promise<PartCommit>;
}

/**
 * The parts in layers: each goes into the layer after the last one holding a part that shares an
 * order with it, so of two parts of one order, the later one runs after the earlier one's writes
 * and reads what they wrote. Parts of different orders share the first layer they can.
 */
export function layersOf<T extends { readonly keys: readonly string[] }>(parts: readonly T[]): T[][] {
  const layers: T[][] = [];
  /** The last layer holding a part of each order. */
  const layerOf = new Map<string, number>();
  for (const part of parts) {
    const after = Math.max(-1, ...part.keys.map((key) => layerOf.get(key) ?? -1));
    const layer = after + 1;
    (layers[layer] ??= []).push(part);
    for (const key of part.keys) layerOf.set(key, layer);
  }
  return layers;
}

/**
 * Runs the parts as one transaction. Parts of different orders take two round trips together:
 * `begin`, every part's inbox insert and reads; then, after each part's `work` in turn, every
 * part's writes and forgotten inbox rows, the outbox rows of all of them and `commit`. A part that
 * shares an order with an earlier one goes into a later layer (`layersOf`): its inbox insert and
 * reads travel with the writes of the layer before it, one more round trip per layer and no more
 * commits. Returns each part's committed outbox rows, in the order of `parts`. If anything fails,
 * the whole transaction is rolled back and the error thrown.
 */
export async function runParts(pool: pg.Pool, parts: readonly TransactionPart[]): Promise<CommittedOutboxRow[][]> {
  const layers = layersOf(parts);
  return withTransactionClient(pool, async (client) => {
    await prepareStatements(client);
    const commits = new Map<TransactionPart, PartCommit>();
    /** The statements that end a layer: its parts' writes, then the inbox rows they forget. */
    const closing = (layer: readonly TransactionPart[]) => {
      const statements: string[] = [];
      for (const part of layer) statements.push(...commits.get(part)!.writes.map((q) => statementText(client, q)));
      for (const part of layer) {
        const { forget } = commits.get(part)!;
        // Rare (a batch with a failed event): inlined, not prepared on every connection.
        if (forget.length > 0) {
          statements.push(
            inlineQuery({ sql: 'delete from messaging_inbox where consumer = $1 and event_id = any($2::uuid[])', params: [part.consumer, forget] }),
          );
        }
      }
      return statements;
    };
    let before = ['begin'];
    for (const layer of layers) {
      const opening = [...before];
      for (const part of layer) {
        opening.push(statementText(client, inboxInsertQuery(part.consumer, part.ids)), ...part.reads.map((q) => statementText(client, q)));
      }
      const results = (await client.query(opening.join(';\n'))) as unknown as pg.QueryResult[];
      let k = before.length;
      for (const part of layer) {
        const fresh = new Set((results[k]!.rows as { event_id: string }[]).map((r) => r.event_id));
        const read = results.slice(k + 1, k + 1 + part.reads.length).map((r) => r.rows as Record<string, unknown>[]);
        k += 1 + part.reads.length;
        commits.set(part, await part.work({ client, fresh, read }));
      }
      before = closing(layer);
    }
    const statements = before;
    const records = parts.flatMap((part) => commits.get(part)!.records);
    if (records.length > 0) statements.push(statementText(client, outboxInsertQuery(records)));
    if (statements.length === 0) {
      await client.query('commit');
      return parts.map(() => []);
    }
    const done = (await client.query(`${statements.join('; ')}; commit`)) as unknown as pg.QueryResult<{ seq: string; id: string }>[];
    if (records.length === 0) return parts.map(() => []);
    const inserted = done[statements.length - 1]!.rows;
    return parts.map((part) => {
      const own = commits.get(part)!.records;
      return own.length > 0 ? withSeqs(own, inserted) : [];
    });
  });
}

/**
 * Thrown to every part of a shared transaction that failed: the transaction rolled back, and
 * nothing of the part happened; the failure may well be another part's. Run the part on its own.
 */
export class SharedTransactionError extends Error {
  constructor(cause: unknown) {
    super('a transaction shared with other consumers failed; nothing of this part was committed', { cause });
    this.name = 'SharedTransactionError';
  }
}

export function isSharedTransactionError(err: unknown): err is SharedTransactionError {
  return err instanceof SharedTransactionError;
}

/**
 * Transactions shared by several consumers of one service (`ConsumerRunnerOptions.sharing`). */
export interface SharedTransactions {
  /**
   * Runs the part in a transaction with whatever other parts are waiting (see
   * `createSharedTransactions`) and resolves with its committed outbox rows. Rejects with the
   * part's own error when it ran alone, and with a `SharedTransactionError` when it ran with others.
   */
  run(part: TransactionPart): Promise<CommittedOutboxRow[]>;
}

export interface SharedTransactionsOptions {
  /**
   * Shared transactions in flight at once (default 1). A part that finds them all busy waits, and
   * every part waiting when one finishes goes into the next transaction together.
   */
  readonly concurrency?: number;
  /**
   * The least time between the starts of two shared transactions (default 0), as the runner's
   * `lingerMs` is for a consumer's own: a part that finds the last one started longer ago goes at
   * once; one that follows closer waits for the rest of the interval, and the parts that arrive
   * meanwhile join it. Give the sharing consumers `lingerMs: 0`: with a wait of their own as well,
   * each would hand in its part at its own time, and with one transaction in flight they would
   * take turns instead of sharing.
   */
  readonly lingerMs?: number;
}

interface Waiting {
  readonly part: TransactionPart;
  resolve(rows: CommittedOutboxRow[]): void;
  reject(err: unknown): void;
}

/**
 * One transaction for the batches of several consumers of a service, as group commit does for
 * independent writers: a part that finds no shared transaction in flight (fewer than
 * `concurrency`) and the last one started at least `lingerMs` ago starts one at once, alone, so an
 * idle service waits for nothing; parts that arrive meanwhile go together into the next. Every transaction costs a begin, a commit, its WAL
 * flush, two round trips and the wake-ups that go with them whatever its size, so a service with
 * four consumers under load pays that about once per batch of all of them instead of four times.
 * Parts that share an order run one after the other inside it (`layersOf`). When a shared
 * transaction fails, every part of it learns so (`SharedTransactionError`) and runs on its own.
 */
export function createSharedTransactions(pool: pg.Pool, options: SharedTransactionsOptions = {}): SharedTransactions {
  const { concurrency = 1, lingerMs = 0 } = options;
  const waiting: Waiting[] = [];
  let inFlight = 0;
  /** When the last shared transaction started, and the timer that starts the next when it may. */
  let lastStart = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function run(group: Waiting[]): Promise<void> {
    try {
      const rows = await runParts(
        pool,
        group.map((w) => w.part),
      );
      group.forEach((w, i) => w.resolve(rows[i]!));
    } catch (err) {
      if (group.length === 1) group[0]!.reject(err);
      else for (const w of group) w.reject(new SharedTransactionError(err));
    }
  }

  function pump(): void {
    while (inFlight < concurrency && waiting.length > 0 && timer === undefined) {
      const wait = lastStart + lingerMs - performance.now();
      if (wait > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          pump();
        }, wait);
        return;
      }
      lastStart = performance.now();
      const group = waiting.splice(0);
      inFlight += 1;
      void run(group).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  }

  return {
    run: (part) =>
      new Promise<CommittedOutboxRow[]>((resolve, reject) => {
        waiting.push({ part, resolve, reject });
        pump();
      }),
  };
}

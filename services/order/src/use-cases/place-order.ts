import { randomUUID } from 'node:crypto';
import type { EventData } from '@orderflow/contracts';
import { toOutboxRecords } from '@orderflow/messaging';
import { ConflictError, type ServiceDeps } from '@orderflow/service-kit';
import { findOrderByIdempotencyKey, newOrderWrite, timelineWrite, type Order } from '../db/repository.js';
import type { OrderSchema } from '../db/schema.js';
import { decideIdempotentRequest, requestHash } from '../domain/idempotency.js';
import { timelineFact } from '../domain/order.js';

/** A validated `POST /orders` body: exactly the data of `order.placed` (prices are never read). */
export type PlaceOrderInput = EventData<'order.placed'>;

/** What `POST /orders` answers, the first time and on every replay of the same Idempotency-Key. */
export interface PlacedOrder {
  readonly orderId: string;
  readonly status: 'PENDING';
  readonly correlationId: string;
  /** True when an earlier request with the same Idempotency-Key and body made the order. */
  readonly replayed: boolean;
}

const IDEMPOTENCY_INDEX = 'orders_idempotency_key_unique';

/**
 * Places an order: the PENDING row and its `order.placed` commit in one transaction (outbox),
 * so the event exists if and only if the order does.
 *
 * With an Idempotency-Key, a retry with the same body gets the same order back (no second
 * event); another body under the same key is a 409. Two identical requests racing past the
 * first lookup both try to insert; the unique index makes the second wait for the first and
 * then fail, and the loser answers from the winner's row.
 */
export async function placeOrder(
  deps: Pick<ServiceDeps<OrderSchema>, 'db' | 'commitAtOnce' | 'clock'>,
  input: PlaceOrderInput,
  request: { readonly correlationId: string; readonly idempotencyKey?: string | undefined },
): Promise<PlacedOrder> {
  const key = request.idempotencyKey;
  const hash = key === undefined ? null : requestHash(input);
  if (key !== undefined && hash !== null) {
    const existing = await findOrderByIdempotencyKey(deps.db, key);
    if (existing) return replayOf(existing, hash);
  }

  const orderId = randomUUID();
  const now = deps.clock();
  // The payment token travels in the event only; the order row never stores it.
  const { events, records } = toOutboxRecords([{ type: 'order.placed', orderId, data: input }], {
    source: 'order',
    now,
    correlationId: request.correlationId,
  });
  const placed = events[0];
  if (!placed) throw new Error('toOutboxRecords returned no event');
  try {
    // Nothing here needs an answer before the commit: the order, its first timeline entry and
    // order.placed go in one transaction sent as one round trip, and under load the orders and
    // timeline entries of all the requests committed together in one statement each.
    await deps.commitAtOnce(
      [
        newOrderWrite({
          id: orderId,
          status: 'PENDING',
          customerId: input.customerId,
          customerEmail: input.customerEmail,
          items: input.items.map(({ sku, quantity }) => ({ sku, quantity })),
          shippingAddress: input.shippingAddress,
          correlationId: request.correlationId,
          idempotencyKey: key ?? null,
          requestHash: hash,
          createdAt: now,
          updatedAt: now,
        }),
        timelineWrite({
          orderId,
          fact: timelineFact(placed),
          type: placed.type,
          eventId: placed.id,
          occurredAt: new Date(placed.occurredAt),
        }),
      ],
      records,
    );
  } catch (err) {
    if (key !== undefined && hash !== null && isUniqueViolation(err, IDEMPOTENCY_INDEX)) {
      const winner = await findOrderByIdempotencyKey(deps.db, key);
      if (winner) return replayOf(winner, hash);
    }
    throw err;
  }
  return { orderId, status: 'PENDING', correlationId: request.correlationId, replayed: false };
}

function replayOf(existing: Order, hash: string): PlacedOrder {
  const decision = decideIdempotentRequest(existing, hash);
  if (decision.kind === 'conflict') throw new ConflictError(decision.why);
  // The first answer again, correlation id included: it is the one on the order's events.
  return { orderId: existing.id, status: 'PENDING', correlationId: existing.correlationId, replayed: true };
}

/** A Postgres unique violation (23505) on `constraint`, possibly wrapped (drizzle's DrizzleQueryError keeps it as `cause`). */
function isUniqueViolation(err: unknown, constraint: string): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, constraint: name } = e as { code?: unknown; constraint?: unknown };
    if (code === '23505') return name === constraint;
  }
  return false;
}

import type { AnyEventDraft, DomainEvent, OrderPlaced } from '@orderflow/contracts';
import type { BatchEventHandler, BatchHandlerContext, ParameterizedQuery } from '@orderflow/messaging';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { lockAndReadOrdersReads, type OrderStatesRead } from './db.js';

/** The batch's events if every one is `order.placed`, else undefined. */
export function placedOnly(events: readonly DomainEvent[]): OrderPlaced[] | undefined {
  const placed = events.filter((e): e is OrderPlaced => e.type === 'order.placed');
  return placed.length === events.length ? placed : undefined;
}

/**
 * The `reads` of an order-stream consumer whose batch of `order.placed` needs only the orders'
 * locks and their states (`read`): those two statements, sent with `begin`; nothing for a batch
 * with another event in it (it runs event by event).
 */
export function placedOrderReads(read: Pick<OrderStatesRead<unknown>, 'statement'>): (events: readonly DomainEvent[]) => ParameterizedQuery[] {
  return (events) => {
    const placed = placedOnly(events);
    return placed === undefined ? [] : lockAndReadOrdersReads(placed.map((e) => e.orderId), read);
  };
}

/**
 * The batch handler of an order-stream consumer that handles a batch of `order.placed`
 * set-based, on what its `reads` (built for `placedOnly(events)`) read with `begin`:
 * - every event `order.placed`: `setBased(placed, ctx)`, which queues its writes with `ctx.atCommit`;
 * - nothing read (the transaction also held events that were not fresh and not `order.placed`):
 *   `awaited(tx, placed, now)`, the same decisions with each statement awaited;
 * - any other event in the batch (a cancel): every event through `single`, in order, in the same
 *   transaction.
 */
export function orderPlacedBatches<TSchema extends Record<string, unknown>>(handlers: {
  readonly single: (tx: NodePgDatabase<TSchema>, event: DomainEvent, now: Date) => Promise<readonly AnyEventDraft[]>;
  readonly awaited: (tx: NodePgDatabase<TSchema>, placed: readonly OrderPlaced[], now: Date) => Promise<readonly (readonly AnyEventDraft[])[]>;
  readonly setBased: (placed: readonly OrderPlaced[], ctx: BatchHandlerContext<TSchema>) => readonly (readonly AnyEventDraft[])[];
}): BatchEventHandler<TSchema> {
  return async (events, ctx) => {
    const placed = placedOnly(events);
    if (placed === undefined) {
      const results: (readonly AnyEventDraft[])[] = [];
      for (const event of events) results.push(await handlers.single(ctx.tx, event, ctx.now));
      return results;
    }
    if (ctx.read.length === 0) return handlers.awaited(ctx.tx, placed, ctx.now);
    return handlers.setBased(placed, ctx);
  };
}

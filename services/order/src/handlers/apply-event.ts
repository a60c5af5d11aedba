import { randomUUID } from 'node:crypto';
import type { AnyEventDraft, CancellationReason, DomainEvent } from '@orderflow/contracts';
import { PermanentError, type HandlerContext } from '@orderflow/messaging';
import { isPgError } from '@orderflow/service-kit';
import {
  findOrderForUpdate,
  markCancelled,
  markConfirmed,
  recordAmount,
  recordTimeline,
  recordTimelineQuery,
  recordTracking,
  type Order,
  type OrderTx,
} from '../db/repository.js';
import type { OrderSchema } from '../db/schema.js';
import { decideOrder, orderInputOf, timelineFact, type OrderDecision } from '../domain/order.js';

/**
 * Applies one participant event to its order, in the runner's transaction:
 *
 * 1. lock the order row (a concurrent customer cancel or another consumer's event waits);
 * 2. decide with the pure state machine;
 * 3. record the event on the timeline (once per fact, whatever the order's status), write the
 *    new state, and return `order.confirmed` / `order.cancelled` to be enqueued with it.
 *
 * Safe under redelivery and reordering: a duplicate of a fact finds the order already moved and
 * is ignored (its timeline insert is a no-op); an event for an order no longer PENDING is
 * ignored; a `shipment.scheduled` that overtook `inventory.reserved` leaves its tracking number on
 * the order, and the `inventory.reserved` that follows confirms it.
 */
export async function applyEvent(event: DomainEvent, ctx: Pick<HandlerContext<OrderSchema>, 'tx' | 'now' | 'log'>): Promise<AnyEventDraft[]> {
  const { tx, now, log } = ctx;
  const input = orderInputOf(event);
  if (input === null) {
    // Timeline only (payment.authorized, notification.sent, the compensations): no decision, so
    // no row lock and no read (see timelineOnlyWrites). The timeline's foreign key still refuses
    // a foreign order.
    try {
      await recordTimeline(tx, timelineEntry(event));
    } catch (err) {
      if (isPgError(err, '23503')) throw new PermanentError(`${event.type} ${event.id}: unknown order ${event.orderId}`);
      throw err;
    }
    return [];
  }
  const order = await findOrderForUpdate(tx, event.orderId);
  // Every order starts here (the row commits before order.placed is even published), so an
  // event for an unknown order is not early: it is foreign. Park it in the dead letters.
  if (!order) throw new PermanentError(`${event.type} ${event.id}: unknown order ${event.orderId}`);

  const decision: OrderDecision = decideOrder(order, input);
  await recordTimeline(tx, timelineEntry(event));

  switch (decision.kind) {
    case 'record-amount':
      await recordAmount(tx, order.id, decision.amountCents, decision.currency, now);
      return [];
    case 'record-tracking':
      await recordTracking(tx, order.id, decision.trackingNumber, now);
      return [];
    case 'confirm': {
      await markConfirmed(tx, order.id, decision, now);
      const draft: AnyEventDraft = {
        id: randomUUID(),
        type: 'order.confirmed',
        orderId: order.id,
        data: {
          customerId: order.customerId,
          customerEmail: order.customerEmail,
          amountCents: decision.amountCents,
          currency: decision.currency,
          trackingNumber: decision.trackingNumber,
        },
      };
      await recordEmitted(tx, draft, now);
      return [draft];
    }
    case 'cancel': {
      await markCancelled(tx, order.id, decision.reason, now);
      const draft = cancelledDraft(order, decision.reason);
      await recordEmitted(tx, draft, now);
      return [draft];
    }
    case 'ignore':
    case 'refuse':
      log.debug({ orderId: order.id, type: event.type, why: decision.why }, 'event ignored');
      return [];
    default: {
      const never: never = decision;
      throw new Error(`unhandled decision ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The consumer runner's write-only fast path for events that only go on the timeline: their one,
 * idempotent, insert (the same as `applyEvent` makes), so a batch of them commits in one round
 * trip. `undefined` for events of other `types` and for those that need a decision. When the
 * insert fails (an unknown order's foreign key), the runner falls back to `applyEvent`, which
 * dead-letters the event.
 */
export function timelineOnlyWrites(db: OrderTx, types: readonly DomainEvent['type'][]) {
  const handled = new Set(types);
  return (event: DomainEvent) => (handled.has(event.type) && orderInputOf(event) === null ? [recordTimelineQuery(db, timelineEntry(event))] : undefined);
}

function timelineEntry(event: DomainEvent) {
  return { orderId: event.orderId, fact: timelineFact(event), type: event.type, eventId: event.id, occurredAt: new Date(event.occurredAt) };
}

/** The `order.cancelled` of an order, with a fixed id so its timeline entry names it. */
export function cancelledDraft(order: Pick<Order, 'id' | 'customerId' | 'customerEmail'>, reason: CancellationReason): AnyEventDraft {
  return {
    id: randomUUID(),
    type: 'order.cancelled',
    orderId: order.id,
    data: { reason, customerId: order.customerId, customerEmail: order.customerEmail },
  };
}

/**
 * Puts an event we emit on the timeline. `occurredAt` is `now`: the runner and `enqueue` stamp
 * the envelope with the same instant.
 */
export async function recordEmitted(tx: OrderTx, draft: AnyEventDraft, now: Date): Promise<void> {
  if (draft.id === undefined) throw new Error('an emitted draft needs its id for the timeline');
  await recordTimeline(tx, { orderId: draft.orderId, fact: timelineFact(draft), type: draft.type, eventId: draft.id, occurredAt: now });
}

import type { AnyEventDraft, DomainEvent, EventType } from '@orderflow/contracts';
import {
  draftsOrThrow,
  eventFailed,
  NotReadyError,
  type BatchEventHandler,
  type EventFailure,
  type EventHandler,
  type ParameterizedQuery,
} from '@orderflow/messaging';
import { lockAndReadOrders, lockAndReadOrdersReads, readUnderOrderLocks, renderSql } from '@orderflow/service-kit';
import { randomUUID } from 'node:crypto';
import type { PaymentSchema } from '../db/schema.js';
import {
  chargeStates,
  chargeStatesOf,
  chargeStatesStatement,
  insertPayments,
  insertPaymentsStatement,
  type NewPayment,
  type PaymentTx,
} from '../db/repository.js';
import { decideCharge, type ChargeState } from '../domain/authorization.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_INVENTORY_EVENTS = ['inventory.reserved'] as const satisfies readonly EventType[];

/**
 * Charges the amount inventory priced on `inventory.reserved`. Other inventory events are not
 * payment's business (a rejected order never reaches payment; a release follows a cancel, which
 * payment handles from the order stream).
 */
export const handleInventoryEvent: EventHandler<PaymentSchema> = async (event, { tx, now }) => draftsOrThrow((await chargeAll(tx, [event], now))[0]!);

/**
 * What a batch of reservations begins with, sent with the transaction's `begin` (the consumer's
 * `reads`): its orders' locks, then what payment knows of each, read under them.
 */
export function inventoryEventReads(events: readonly DomainEvent[]): ParameterizedQuery[] {
  return lockAndReadOrdersReads(orderIdsOf(events), chargeStatesStatement);
}

/**
 * `handleInventoryEvent` for a whole transaction's events at once (the runner's batchHandler):
 * decided on what `inventoryEventReads` read, the payments inserted at the commit. Two round
 * trips whatever the batch's size.
 */
export const handleInventoryEvents: BatchEventHandler<PaymentSchema> = async (events, { now, read, atCommit }) => {
  const { results, rows } = chargeEach(events, new Map(chargeStatesOf(readUnderOrderLocks(read)).map((s) => [s.orderId, s])), now);
  if (rows.length > 0) atCommit(renderSql(insertPaymentsStatement(rows)));
  return results;
};

const orderIdsOf = (events: readonly DomainEvent[]) => [...new Set(events.filter((e) => e.type === 'inventory.reserved').map((e) => e.orderId))];

/** One transaction's reservations, each statement awaited: lock their orders, read, insert the payments. */
async function chargeAll(tx: PaymentTx, events: readonly DomainEvent[], now: Date): Promise<(AnyEventDraft[] | EventFailure)[]> {
  const known = await lockAndReadOrders(tx, orderIdsOf(events), (ids) => chargeStates(tx, ids));
  const { results, rows } = chargeEach(events, known, now);
  await insertPayments(tx, rows);
  return results;
}

/**
 * Decides each reservation in delivery order on what payment knows of its order (`known`, read
 * under the orders' locks), so a second reservation of one order in the same batch finds it
 * answered. Returns each event's drafts (or its failure) and the payments to insert.
 */
function chargeEach(
  events: readonly DomainEvent[],
  known: Map<string, ChargeState>,
  now: Date,
): { results: (AnyEventDraft[] | EventFailure)[]; rows: NewPayment[] } {
  const rows: NewPayment[] = [];
  const results = events.map((event): AnyEventDraft[] | EventFailure => {
    if (event.type !== 'inventory.reserved') return [];
    const { orderId } = event;
    const { amountCents, currency } = event.data;
    const state = known.get(orderId)!;
    const decision = decideCharge(state);
    switch (decision.kind) {
      case 'skip':
        return [];
      case 'wait':
        // order.placed travels on another stream and has not been consumed yet: this event is
        // nak'd and retried (never dropped: the order would hang PENDING), and the others of its
        // batch commit. Thrown, it would roll the batch back and re-run each of its events alone.
        return eventFailed(new NotReadyError(`inventory.reserved for order ${orderId} before its order.placed; retrying`));
      case 'authorize': {
        const paymentId = randomUUID();
        rows.push({ paymentId, orderId, amountCents, currency, status: 'AUTHORIZED', createdAt: now });
        known.set(orderId, { ...state, answered: true });
        return [{ type: 'payment.authorized', orderId, data: { paymentId, amountCents, currency } }];
      }
      case 'decline':
        rows.push({ paymentId: randomUUID(), orderId, amountCents, currency, status: 'DECLINED', createdAt: now });
        known.set(orderId, { ...state, answered: true });
        return [{ type: 'payment.declined', orderId, data: { reason: decision.reason, amountCents, currency } }];
      default: {
        const unreachable: never = decision;
        return unreachable;
      }
    }
  });
  return { results, rows };
}

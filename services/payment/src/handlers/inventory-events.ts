import type { AnyEventDraft, DomainEvent, EventType } from '@orderflow/contracts';
import type { BatchEventHandler, EventHandler, ParameterizedQuery } from '@orderflow/messaging';
import { lockAndReadOrders, lockAndReadOrdersReads, readUnderOrderLocks, renderSql } from '@orderflow/service-kit';
import type { PaymentSchema } from '../db/schema.js';
import {
  chargeStates,
  insertPaymentsStatement,
  insertWaitingStatement,
  type NewPayment,
  type PaymentTx,
  type WaitingReservation,
} from '../db/repository.js';
import { decideCharge, type ChargeState } from '../domain/authorization.js';
import { charge } from './charge.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_INVENTORY_EVENTS = ['inventory.reserved'] as const satisfies readonly EventType[];

/**
 * Charges the amount inventory priced on `inventory.reserved`. Other inventory events are not
 * payment's business (a rejected order never reaches payment; a release follows a cancel, which
 * payment handles from the order stream). A reservation that came before its order's
 * `order.placed` is kept, and that event charges it (see `waitingReservations`).
 */
export const handleInventoryEvent: EventHandler<PaymentSchema> = async (event, { tx, now }) => (await chargeAll(tx, [event], now))[0]!;

/**
 * What a batch of reservations begins with, sent with the transaction's `begin` (the consumer's
 * `reads`): its orders' locks, then what payment knows of each, read under them.
 */
export function inventoryEventReads(events: readonly DomainEvent[]): ParameterizedQuery[] {
  return lockAndReadOrdersReads(orderIdsOf(events), chargeStates);
}

/**
 * `handleInventoryEvent` for a whole transaction's events at once (the runner's batchHandler):
 * decided on what `inventoryEventReads` read, the payments inserted at the commit. Two round
 * trips whatever the batch's size.
 */
export const handleInventoryEvents: BatchEventHandler<PaymentSchema> = async (events, { now, read, atCommit }) => {
  const { results, rows, waiting } = chargeEach(events, readUnderOrderLocks(read, chargeStates), now);
  for (const statement of writesOf(rows, waiting)) atCommit(renderSql(statement));
  return results;
};

/** The statements that write a batch's decisions: its payments, and the reservations that wait for their order. */
function writesOf(rows: readonly NewPayment[], waiting: readonly WaitingReservation[]) {
  return [...(rows.length > 0 ? [insertPaymentsStatement(rows)] : []), ...(waiting.length > 0 ? [insertWaitingStatement(waiting)] : [])];
}

const orderIdsOf = (events: readonly DomainEvent[]) => [...new Set(events.filter((e) => e.type === 'inventory.reserved').map((e) => e.orderId))];

/** One transaction's reservations, each statement awaited: lock their orders, read, insert the payments and the waiting. */
async function chargeAll(tx: PaymentTx, events: readonly DomainEvent[], now: Date): Promise<AnyEventDraft[][]> {
  const known = await lockAndReadOrders(tx, orderIdsOf(events), chargeStates);
  const { results, rows, waiting } = chargeEach(events, known, now);
  for (const statement of writesOf(rows, waiting)) await tx.execute(statement);
  return results;
}

/**
 * Decides each reservation in delivery order on what payment knows of its order (`known`, read
 * under the orders' locks), so a second reservation of one order in the same batch finds it
 * answered (or waiting). Returns each event's drafts, the payments to insert and the
 * reservations that wait for their order's token.
 */
function chargeEach(
  events: readonly DomainEvent[],
  known: Map<string, ChargeState>,
  now: Date,
): { results: AnyEventDraft[][]; rows: NewPayment[]; waiting: WaitingReservation[] } {
  const rows: NewPayment[] = [];
  const waiting = new Map<string, WaitingReservation>();
  const results = events.map((event): AnyEventDraft[] => {
    if (event.type !== 'inventory.reserved') return [];
    const { orderId } = event;
    const { amountCents, currency } = event.data;
    const state = known.get(orderId)!;
    const decision = decideCharge(state);
    switch (decision.kind) {
      case 'skip':
        return [];
      case 'wait':
        // order.placed travels on another stream and has not been consumed yet: the reservation
        // is kept (the first of an order, if it came twice), and that event will charge it. Acked,
        // so it holds back nothing and waits on no redelivery.
        if (!waiting.has(orderId)) waiting.set(orderId, { orderId, eventId: event.id, amountCents, currency, receivedAt: now });
        return [];
      case 'authorize':
      case 'decline': {
        const { row, draft } = charge(decision, { orderId, amountCents, currency }, now);
        rows.push(row);
        known.set(orderId, { ...state, answered: true });
        return [draft];
      }
      default: {
        const unreachable: never = decision;
        return unreachable;
      }
    }
  });
  return { results, rows, waiting: [...waiting.values()] };
}

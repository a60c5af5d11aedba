import type { AnyEventDraft, DomainEvent, EventType, OrderCancelled, OrderPlaced } from '@orderflow/contracts';
import type { BatchEventHandler, EventHandler } from '@orderflow/messaging';
import { lockAndReadOrders, lockOrder, orderPlacedBatches, placedOrderReads, readUnderOrderLocks, renderSql } from '@orderflow/service-kit';
import { randomUUID } from 'node:crypto';
import type { ShippingSchema } from '../db/schema.js';
import {
  deleteWaitingStatement,
  findShipmentForUpdate,
  insertShipmentsStatement,
  insertShippingOrdersStatement,
  markCancelled,
  markShipmentCancelled,
  placedStates,
  recordOutcomesStatement,
  type NewShipment,
  type Outcome,
  type PlacedState,
  type ShippingOrderRow,
  type ShippingTx,
} from '../db/repository.js';
import { decideDispatch } from '../domain/shipment.js';
import { dispatch } from './dispatch.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_ORDER_EVENTS = ['order.placed', 'order.cancelled'] as const satisfies readonly EventType[];

/**
 * Learns the address on `order.placed`, and dispatches a payment that came before it; cancels the
 * shipment on `order.cancelled`. A repeat of either fact (same or new event id) is harmless: the
 * address row is written once, a waiting payment is decided once (under the order's lock, and
 * deleted as it is), and only a SCHEDULED shipment is cancelled, so a second cancel emits nothing.
 */
export const handleOrderEvent: EventHandler<ShippingSchema> = (event, { tx, now }) => applyOrderEvent(tx, event, now);

async function applyOrderEvent(tx: ShippingTx, event: DomainEvent, now: Date): Promise<AnyEventDraft[]> {
  switch (event.type) {
    case 'order.placed':
      return (await storeAll(tx, [event], now))[0]!;
    case 'order.cancelled':
      return cancelShipment(tx, event, now);
    default:
      return [];
  }
}

/**
 * What a batch of `order.placed` begins with, sent with the transaction's `begin` (the consumer's
 * `reads`): the orders' locks, then what shipping knows of each (a payment waiting for the
 * address, above all). A batch with a cancel in it reads nothing here: it runs event by event.
 */
export const orderEventReads = placedOrderReads(placedStates);

/**
 * `handleOrderEvent` for a whole transaction's events at once (the runner's batchHandler): a
 * batch of `order.placed` in two round trips, decided on what `orderEventReads` read, with the
 * addresses, the shipments, the outcomes and the waiting payments' deletion written at the
 * commit. A batch with a cancel in it runs event by event, in order, in the same transaction.
 */
export const handleOrderEvents: BatchEventHandler<ShippingSchema> = orderPlacedBatches<ShippingSchema>({
  single: applyOrderEvent,
  awaited: storeAll,
  setBased: (placed, { now, read, atCommit }) => {
    const { results, ...writes } = storeEach(placed, readUnderOrderLocks(read, placedStates), now);
    for (const statement of writesOf(writes, now)) atCommit(renderSql(statement));
    return results;
  },
});

/** One transaction's `order.placed`, each statement awaited: lock their orders, read, write. */
async function storeAll(tx: ShippingTx, events: readonly OrderPlaced[], now: Date): Promise<AnyEventDraft[][]> {
  const known = await lockAndReadOrders(tx, events.map((e) => e.orderId), placedStates);
  const { results, ...writes } = storeEach(events, known, now);
  for (const statement of writesOf(writes, now)) await tx.execute(statement);
  return results;
}

interface PlacedWrites {
  readonly orders: readonly ShippingOrderRow[];
  readonly shipmentRows: readonly NewShipment[];
  readonly outcomes: readonly Outcome[];
  /** Orders whose waiting payment was decided (dispatched, or skipped as cancelled or decided). */
  readonly settled: readonly string[];
}

/** In this order: an outcome updates the address row its order.placed inserts in the same commit. */
function writesOf({ orders, shipmentRows, outcomes, settled }: PlacedWrites, now: Date) {
  return [
    ...(orders.length > 0 ? [insertShippingOrdersStatement(orders)] : []),
    ...(shipmentRows.length > 0 ? [insertShipmentsStatement(shipmentRows)] : []),
    ...(outcomes.length > 0 ? [recordOutcomesStatement(outcomes, now)] : []),
    ...(settled.length > 0 ? [deleteWaitingStatement(settled)] : []),
  ];
}

/**
 * Each `order.placed` in delivery order: its address is remembered (even for a cancelled order;
 * the tombstone alone decides that nothing ships), and a payment that waited for it is decided
 * now, as `payment.authorized` would have been had the address been there. The shipment event
 * names the payment as its cause.
 */
function storeEach(events: readonly OrderPlaced[], known: Map<string, PlacedState>, now: Date): { results: AnyEventDraft[][] } & PlacedWrites {
  const orders: ShippingOrderRow[] = [];
  const shipmentRows: NewShipment[] = [];
  const outcomes: Outcome[] = [];
  const settled: string[] = [];
  const results = events.map((event): AnyEventDraft[] => {
    const { orderId } = event;
    const address = event.data.shippingAddress;
    orders.push({ orderId, shippingAddress: address, country: address.country, receivedAt: now });
    const state = known.get(orderId)!;
    if (state.waitingEventId === undefined) return [];
    known.set(orderId, { ...state, decided: true, waitingEventId: undefined });
    settled.push(orderId);
    const shipmentId = randomUUID();
    const decision = decideDispatch({ cancelled: state.cancelled, decided: state.decided, country: address.country }, shipmentId);
    if (decision.kind === 'ignore' || decision.kind === 'wait') return [];
    const { shipment, outcome, draft } = dispatch(decision, { orderId, shipmentId, causationId: state.waitingEventId }, now);
    if (shipment !== undefined) shipmentRows.push(shipment);
    outcomes.push(outcome);
    return [draft];
  });
  return { results, orders, shipmentRows, outcomes, settled };
}

async function cancelShipment(tx: ShippingTx, event: OrderCancelled, now: Date): Promise<AnyEventDraft[]> {
  const { orderId } = event;
  await lockOrder(tx, orderId);
  await markCancelled(tx, orderId, now);
  await tx.execute(deleteWaitingStatement([orderId])); // a payment still waiting is never dispatched now
  const shipment = await findShipmentForUpdate(tx, orderId);
  if (shipment === undefined || shipment.status !== 'SCHEDULED') return []; // none yet, a failed attempt, or cancelled already
  await markShipmentCancelled(tx, shipment.shipmentId, now);
  return [{ type: 'shipment.cancelled', orderId, data: { shipmentId: shipment.shipmentId, trackingNumber: shipment.trackingNumber } }];
}

import type { AnyEventDraft, DomainEvent, EventType, InventoryReserved } from '@orderflow/contracts';
import { NotReadyError, type BatchEventHandler, type EventHandler } from '@orderflow/messaging';
import { lockAndReadOrders } from '@orderflow/service-kit';
import { randomUUID } from 'node:crypto';
import type { PaymentSchema } from '../db/schema.js';
import { chargeStates, insertPayments, type NewPayment, type PaymentTx } from '../db/repository.js';
import { decideCharge } from '../domain/authorization.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_INVENTORY_EVENTS = ['inventory.reserved'] as const satisfies readonly EventType[];

/**
 * Charges the amount inventory priced on `inventory.reserved`. Other inventory events are not
 * payment's business (a rejected order never reaches payment; a release follows a cancel, which
 * payment handles from the order stream).
 */
export const handleInventoryEvent: EventHandler<PaymentSchema> = async (event, { tx, now }) => (await chargeAll(tx, [event], now))[0]!;

/** `handleInventoryEvent` for a whole transaction's events at once (the runner's batchHandler). */
export const handleInventoryEvents: BatchEventHandler<PaymentSchema> = (events, { tx, now }) => chargeAll(tx, events, now);

/**
 * Charges a batch of reservations in three statements whatever its size: lock their orders,
 * read what payment knows of each, insert the payments. Decided in delivery order, so a second
 * reservation of one order in the same batch finds it answered.
 */
async function chargeAll(tx: PaymentTx, events: readonly DomainEvent[], now: Date): Promise<AnyEventDraft[][]> {
  const reservations = events.filter((e): e is InventoryReserved => e.type === 'inventory.reserved');
  const known = await lockAndReadOrders(
    tx,
    reservations.map((e) => e.orderId),
    (ids) => chargeStates(tx, ids),
  );
  const rows: NewPayment[] = [];
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
        // order.placed travels on another stream and has not been consumed yet. An ordinary Error
        // rolls back and naks with backoff; never drop the event (the order would hang PENDING).
        throw new NotReadyError(`inventory.reserved for order ${orderId} before its order.placed; retrying`);
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
  await insertPayments(tx, rows);
  return results;
}

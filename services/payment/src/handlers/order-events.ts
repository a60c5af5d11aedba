import type { EventType } from '@orderflow/contracts';
import { lockOrder } from '@orderflow/service-kit';
import type { AnyEventDraft, DomainEvent, OrderCancelled, OrderPlaced } from '@orderflow/contracts';
import type { EventHandler } from '@orderflow/messaging';
import type { PaymentSchema } from '../db/schema.js';
import { findPaymentForUpdate, insertPaymentOrder, insertPaymentOrderQuery, markCancelled, markRefunded, type PaymentTx } from '../db/repository.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_ORDER_EVENTS = ['order.placed', 'order.cancelled'] as const satisfies readonly EventType[];

/**
 * Learns the payment token on `order.placed`; refunds on `order.cancelled`. Both are safe to
 * receive twice (as the same or a new event) and in any order: the token row is written once,
 * the tombstone stops a later charge, and only an AUTHORIZED payment is refunded, so a second
 * cancel finds it REFUNDED and emits nothing.
 */
export const handleOrderEvent: EventHandler<PaymentSchema> = async (event, { tx, now }) => {
  switch (event.type) {
    case 'order.placed':
      return remember(tx, event, now);
    case 'order.cancelled':
      return refund(tx, event, now);
    default:
      return [];
  }
};

async function remember(tx: PaymentTx, event: OrderPlaced, now: Date): Promise<AnyEventDraft[]> {
  // Stored even for a cancelled order: harmless, and the tombstone is what stops a charge.
  await insertPaymentOrder(tx, paymentOrderRow(event, now));
  return [];
}

function paymentOrderRow(event: OrderPlaced, now: Date) {
  const { paymentToken, customerId, customerEmail } = event.data;
  return { orderId: event.orderId, paymentToken, customerId, customerEmail, receivedAt: now };
}

/**
 * The runner's write-only path: `order.placed` is one idempotent insert (what `remember` does),
 * so a batch of them commits in one round trip.
 */
export function orderEventWrites(db: PaymentTx) {
  return (event: DomainEvent, now: Date) => (event.type === 'order.placed' ? [insertPaymentOrderQuery(db, paymentOrderRow(event, now))] : undefined);
}

async function refund(tx: PaymentTx, event: OrderCancelled, now: Date): Promise<AnyEventDraft[]> {
  const { orderId } = event;
  await lockOrder(tx, orderId);
  await markCancelled(tx, orderId, now);
  const payment = await findPaymentForUpdate(tx, orderId);
  if (payment?.status !== 'AUTHORIZED') return []; // nothing taken (yet), declined, or refunded already
  await markRefunded(tx, payment.paymentId, now);
  return [
    {
      type: 'payment.refunded',
      orderId,
      data: { paymentId: payment.paymentId, amountCents: payment.amountCents, currency: payment.currency },
    },
  ];
}

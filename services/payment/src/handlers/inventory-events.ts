import type { EventType } from '@orderflow/contracts';
import { NotReadyError } from '@orderflow/messaging';
import { lockOrder } from '@orderflow/service-kit';
import { randomUUID } from 'node:crypto';
import type { AnyEventDraft, InventoryReserved } from '@orderflow/contracts';
import type { EventHandler } from '@orderflow/messaging';
import type { PaymentSchema } from '../db/schema.js';
import { findPaymentForUpdate, findPaymentOrder, insertPayment, isCancelled, type PaymentTx } from '../db/repository.js';
import { decideCharge } from '../domain/authorization.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_INVENTORY_EVENTS = ['inventory.reserved'] as const satisfies readonly EventType[];

/**
 * Charges the amount inventory priced on `inventory.reserved`. Other inventory events are not
 * payment's business (a rejected order never reaches payment; a release follows a cancel, which
 * payment handles from the order stream).
 */
export const handleInventoryEvent: EventHandler<PaymentSchema> = async (event, { tx, now }) => {
  switch (event.type) {
    case 'inventory.reserved':
      return charge(tx, event, now);
    default:
      return [];
  }
};

async function charge(tx: PaymentTx, event: InventoryReserved, now: Date): Promise<AnyEventDraft[]> {
  const { orderId } = event;
  const { amountCents, currency } = event.data;
  await lockOrder(tx, orderId);
  const decision = decideCharge({
    cancelled: await isCancelled(tx, orderId),
    answered: (await findPaymentForUpdate(tx, orderId)) !== undefined,
    paymentToken: (await findPaymentOrder(tx, orderId))?.paymentToken,
  });
  switch (decision.kind) {
    case 'skip':
      return [];
    case 'wait':
      // order.placed travels on another stream and has not been consumed yet. An ordinary Error
      // rolls back and naks with backoff; never drop the event (the order would hang PENDING).
      throw new NotReadyError(`inventory.reserved for order ${orderId} before its order.placed; retrying`);
    case 'authorize': {
      const paymentId = randomUUID();
      await insertPayment(tx, { paymentId, orderId, amountCents, currency, status: 'AUTHORIZED', createdAt: now });
      return [{ type: 'payment.authorized', orderId, data: { paymentId, amountCents, currency } }];
    }
    case 'decline':
      await insertPayment(tx, { paymentId: randomUUID(), orderId, amountCents, currency, status: 'DECLINED', createdAt: now });
      return [{ type: 'payment.declined', orderId, data: { reason: decision.reason, amountCents, currency } }];
    default: {
      const unreachable: never = decision;
      return unreachable;
    }
  }
}

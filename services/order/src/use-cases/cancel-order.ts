import { enqueue } from '@orderflow/messaging';
import { ConflictError, NotFoundError, type ServiceDeps } from '@orderflow/service-kit';
import { findOrderForUpdate, markCancelled } from '../db/repository.js';
import type { OrderSchema } from '../db/schema.js';
import { decideOrder } from '../domain/order.js';
import { cancelledDraft, recordEmitted } from '../handlers/apply-event.js';

/**
 * The customer cancels a PENDING or CONFIRMED order: CANCELLED_BY_CUSTOMER and `order.cancelled`
 * in one transaction; every participant then compensates its own part. The row lock makes a
 * concurrent shipment.scheduled wait and then find the order CANCELLED (it is ignored), or
 * makes this cancel wait for the confirm and then cancel the CONFIRMED order: never both lost.
 *
 * `order.cancelled` carries the order's correlation id (not this request's), so the whole life
 * of one order, compensation included, is traced under one id.
 */
export async function cancelOrder(
  deps: Pick<ServiceDeps<OrderSchema>, 'db' | 'transaction' | 'clock'>,
  orderId: string,
): Promise<{ orderId: string; status: 'CANCELLED' }> {
  await deps.transaction(async (tx) => {
    const order = await findOrderForUpdate(tx, orderId);
    if (!order) throw new NotFoundError(`no order ${orderId}`);
    const decision = decideOrder(order, { kind: 'customer-cancel' });
    if (decision.kind !== 'cancel') {
      throw new ConflictError(`order ${orderId} cannot be cancelled: ${'why' in decision ? decision.why : `order is ${order.status}`}`);
    }
    const now = deps.clock();
    await markCancelled(tx, order.id, decision.reason, now);
    const draft = cancelledDraft(order, decision.reason);
    await enqueue(tx, [draft], { source: 'order', now, correlationId: order.correlationId });
    await recordEmitted(tx, draft, now);
  });
  return { orderId, status: 'CANCELLED' };
}

import type { AnyEventDraft } from '@orderflow/contracts';
import { randomUUID } from 'node:crypto';
import type { NewPayment } from '../db/repository.js';
import type { AuthorizationDecision } from '../domain/authorization.js';

/** A reservation to charge: its order, the amount inventory priced, and (when it waited for its order) its event id. */
export interface Reservation {
  readonly orderId: string;
  readonly amountCents: number;
  readonly currency: string;
  /** The reservation's event id, when the payment event is emitted while handling another event. */
  readonly causationId?: string | undefined;
}

/**
 * The payment row and the event of the gateway's answer for a reservation: both paths that
 * charge (a reservation that finds its token, and an `order.placed` that finds a reservation
 * waiting) go through here.
 */
export function charge(decision: AuthorizationDecision, reservation: Reservation, now: Date): { row: NewPayment; draft: AnyEventDraft } {
  const { orderId, amountCents, currency, causationId } = reservation;
  const paymentId = randomUUID();
  const cause = causationId === undefined ? {} : { causationId };
  if (decision.kind === 'authorize') {
    return {
      row: { paymentId, orderId, amountCents, currency, status: 'AUTHORIZED', createdAt: now },
      draft: { type: 'payment.authorized', orderId, data: { paymentId, amountCents, currency }, ...cause },
    };
  }
  return {
    row: { paymentId, orderId, amountCents, currency, status: 'DECLINED', createdAt: now },
    draft: { type: 'payment.declined', orderId, data: { reason: decision.reason, amountCents, currency }, ...cause },
  };
}

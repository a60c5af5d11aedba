import type { DomainEvent } from '@orderflow/contracts';
import type { NotificationInput } from './message.js';

/** What this service already knows about the order, as far as the decision needs it. */
export interface NotificationState {
  /** The customer was already told the order is cancelled (a final state nothing follows). */
  readonly cancellationSent: boolean;
}

export type NotificationDecision =
  | { readonly kind: 'notify'; readonly input: NotificationInput }
  | { readonly kind: 'ignore'; readonly reason: 'NOT_A_FINAL_STATE' | 'STALE_CONFIRMATION' };

/**
 * Whether and about what to tell the customer. Only the two final states are worth a message.
 *
 * Reordering: CANCELLED is terminal and an order is confirmed only before it is cancelled, so an
 * `order.confirmed` that arrives after the cancellation was sent is stale: telling the customer
 * "confirmed, here is your tracking number" after "cancelled" would be wrong, so it is dropped.
 * Confirmed then cancelled (a customer cancelling a confirmed order) is two messages.
 *
 * Duplicates are not decided here: the `(order_id, kind)` unique key makes a second delivery of
 * the same fact insert nothing, and only the inserting delivery sends.
 */
export function decideNotification(event: DomainEvent, state: NotificationState): NotificationDecision {
  switch (event.type) {
    case 'order.confirmed':
      if (state.cancellationSent) return { kind: 'ignore', reason: 'STALE_CONFIRMATION' };
      return {
        kind: 'notify',
        input: {
          kind: 'order.confirmed',
          orderId: event.orderId,
          to: event.data.customerEmail,
          amountCents: event.data.amountCents,
          currency: event.data.currency,
          trackingNumber: event.data.trackingNumber,
        },
      };
    case 'order.cancelled':
      return {
        kind: 'notify',
        input: { kind: 'order.cancelled', orderId: event.orderId, to: event.data.customerEmail, reason: event.data.reason },
      };
    default:
      return { kind: 'ignore', reason: 'NOT_A_FINAL_STATE' };
  }
}

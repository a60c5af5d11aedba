import type { CancellationReason, DomainEvent } from '@orderflow/contracts';

/** Lifecycle of an order. PENDING until every participant answered; CONFIRMED and CANCELLED are final-ish (a CONFIRMED order can still be cancelled by the customer). */
export const OrderStatus = { pending: 'PENDING', confirmed: 'CONFIRMED', cancelled: 'CANCELLED' } as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/** What the order service knows of an order when deciding. */
export interface OrderState {
  readonly status: OrderStatus;
  readonly amountCents: number | null;
  readonly currency: string | null;
  /** Set by shipment.scheduled; on a PENDING order it means "scheduled, waiting for the amount". */
  readonly trackingNumber: string | null;
}

/** An outcome reported by a participant, or the customer's cancel request. */
export type OrderInput =
  | { readonly kind: 'reserved'; readonly amountCents: number; readonly currency: string }
  | { readonly kind: 'rejected'; readonly reason: CancellationReason }
  | { readonly kind: 'declined' }
  | { readonly kind: 'shipment-failed' }
  | { readonly kind: 'shipment-scheduled'; readonly trackingNumber: string }
  | { readonly kind: 'customer-cancel' };

/** What to do: move to a status (and emit its event), record the amount, ignore, or refuse. */
export type OrderDecision =
  | { readonly kind: 'confirm'; readonly trackingNumber: string; readonly amountCents: number; readonly currency: string }
  | { readonly kind: 'cancel'; readonly reason: CancellationReason }
  | { readonly kind: 'record-amount'; readonly amountCents: number; readonly currency: string }
  | { readonly kind: 'record-tracking'; readonly trackingNumber: string }
  | { readonly kind: 'ignore'; readonly why: string }
  | { readonly kind: 'refuse'; readonly why: string };

/**
 * The order's state machine. Participants' outcomes may arrive late, twice or out of order;
 * anything that no longer applies is ignored, never an error.
 */
export function decideOrder(state: OrderState, input: OrderInput): OrderDecision {
  switch (input.kind) {
    case 'reserved':
      if (state.amountCents !== null) return { kind: 'ignore', why: 'amount already known' };
      // The shipment was scheduled first (its event overtook this one): both facts are in now.
      if (state.status === 'PENDING' && state.trackingNumber !== null) {
        return { kind: 'confirm', trackingNumber: state.trackingNumber, amountCents: input.amountCents, currency: input.currency };
      }
      return { kind: 'record-amount', amountCents: input.amountCents, currency: input.currency };
    case 'rejected':
      return state.status === 'PENDING' ? { kind: 'cancel', reason: input.reason } : { kind: 'ignore', why: `order is ${state.status}` };
    case 'declined':
      return state.status === 'PENDING'
        ? { kind: 'cancel', reason: 'PAYMENT_DECLINED' }
        : { kind: 'ignore', why: `order is ${state.status}` };
    case 'shipment-failed':
      return state.status === 'PENDING'
        ? { kind: 'cancel', reason: 'SHIPPING_UNAVAILABLE' }
        : { kind: 'ignore', why: `order is ${state.status}` };
    case 'shipment-scheduled':
      if (state.status !== 'PENDING') return { kind: 'ignore', why: `order is ${state.status}` };
      // The amount comes from inventory.reserved on another consumer. It nearly always arrives
      // first; if not, keep the tracking number and confirm when the amount comes (no retries:
      // under load the other consumer can lag for seconds).
      if (state.amountCents === null || state.currency === null) {
        return state.trackingNumber === null ? { kind: 'record-tracking', trackingNumber: input.trackingNumber } : { kind: 'ignore', why: 'already scheduled' };
      }
      return { kind: 'confirm', trackingNumber: input.trackingNumber, amountCents: state.amountCents, currency: state.currency };
    case 'customer-cancel':
      return state.status === 'CANCELLED'
        ? { kind: 'refuse', why: 'order is already cancelled' }
        : { kind: 'cancel', reason: 'CANCELLED_BY_CUSTOMER' };
    default: {
      const never: never = input;
      throw new Error(`unhandled input ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The decision input a participant's event stands for, or null for events that only go on the
 * timeline (payment.authorized, the compensation events, notification.sent, our own events).
 */
export function orderInputOf(event: DomainEvent): OrderInput | null {
  switch (event.type) {
    case 'inventory.reserved':
      return { kind: 'reserved', amountCents: event.data.amountCents, currency: event.data.currency };
    case 'inventory.rejected':
      return { kind: 'rejected', reason: event.data.reason };
    case 'payment.declined':
      return { kind: 'declined' };
    case 'shipment.scheduled':
      return { kind: 'shipment-scheduled', trackingNumber: event.data.trackingNumber };
    case 'shipment.failed':
      return { kind: 'shipment-failed' };
    default:
      return null;
  }
}

/**
 * The timeline key of an event: each fact is shown once, even when it reaches us twice under
 * different event ids. Every type happens at most once per order, except notification.sent
 * (one per notified event: a confirmed order that is later cancelled gets two).
 */
export function timelineFact(event: Pick<DomainEvent, 'type' | 'data'>): string {
  return event.type === 'notification.sent' && 'kind' in event.data ? `${event.type}:${event.data.kind}` : event.type;
}

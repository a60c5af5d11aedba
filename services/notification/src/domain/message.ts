import type { CancellationReason } from '@orderflow/contracts';

/** A message to one customer about one order's final state. */
export interface OutgoingMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** What the customer is told about, per final state; the fields come from the order event. */
export type NotificationInput =
  | {
      readonly kind: 'order.confirmed';
      readonly orderId: string;
      readonly to: string;
      readonly amountCents: number;
      readonly currency: string;
      readonly trackingNumber: string;
    }
  | { readonly kind: 'order.cancelled'; readonly orderId: string; readonly to: string; readonly reason: CancellationReason };

/** The kinds of notification: the order event the customer is told about. */
export type NotificationKind = NotificationInput['kind'];

/**
 * Why, in the customer's words, and whether money may have moved. Payment is authorized only
 * after stock was reserved, and shipping is asked only after payment, so a cancellation for a
 * stock or payment reason never charged anything; a shipping failure or a customer cancel may
 * have, and the payment service refunds it.
 */
const CANCELLATIONS: Readonly<Record<CancellationReason, { readonly why: string; readonly charged: boolean }>> = {
  OUT_OF_STOCK: { why: 'an item is out of stock', charged: false },
  UNKNOWN_SKU: { why: 'an item is not in our catalogue', charged: false },
  PAYMENT_DECLINED: { why: 'the payment was declined', charged: false },
  SHIPPING_UNAVAILABLE: { why: 'we cannot ship to your address', charged: true },
  CANCELLED_BY_CUSTOMER: { why: 'you cancelled it', charged: true },
};

/** Amounts travel in minor units; every currency of the catalogue has two decimals. */
function money(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}

/** Renders the customer message for a final state. Pure; the sender delivers it. */
export function renderNotification(input: NotificationInput): OutgoingMessage {
  switch (input.kind) {
    case 'order.confirmed':
      return {
        to: input.to,
        subject: `Order ${input.orderId} confirmed`,
        text: `Your order ${input.orderId} is confirmed: ${money(input.amountCents, input.currency)}. Tracking number: ${input.trackingNumber}.`,
      };
    case 'order.cancelled': {
      const { why, charged } = CANCELLATIONS[input.reason];
      const refund = charged ? 'Any payment has been refunded.' : 'You have not been charged.';
      return {
        to: input.to,
        subject: `Order ${input.orderId} cancelled`,
        text: `Your order ${input.orderId} was cancelled because ${why}. ${refund}`,
      };
    }
    default: {
      const never: never = input;
      throw new Error(`unhandled notification ${JSON.stringify(never)}`);
    }
  }
}

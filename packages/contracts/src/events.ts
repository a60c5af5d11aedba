import { z } from 'zod';
import { envelopeSchema } from './envelope.js';

// ---------------------------------------------------------------------------------------------
// Shared value schemas
// ---------------------------------------------------------------------------------------------

export const SkuSchema = z.string().regex(/^[A-Z0-9][A-Z0-9-]{0,63}$/, 'uppercase letters, digits and dashes');
export const CurrencySchema = z.string().regex(/^[A-Z]{3}$/, 'ISO-4217 code');
export const MoneyCentsSchema = z.number().int().nonnegative();
export const CountrySchema = z.string().regex(/^[A-Z]{2}$/, 'ISO-3166 alpha-2 code');

export const OrderLineSchema = z.object({ sku: SkuSchema, quantity: z.number().int().positive().max(1000) });
export const PricedLineSchema = OrderLineSchema.extend({ unitPriceCents: MoneyCentsSchema });
export const ShippingAddressSchema = z.object({
  name: z.string().min(1).max(200),
  line1: z.string().min(1).max(200),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20),
  country: CountrySchema,
});

/** Why an order ended CANCELLED. */
export const CancellationReason = {
  outOfStock: 'OUT_OF_STOCK',
  unknownSku: 'UNKNOWN_SKU',
  paymentDeclined: 'PAYMENT_DECLINED',
  shippingUnavailable: 'SHIPPING_UNAVAILABLE',
  cancelledByCustomer: 'CANCELLED_BY_CUSTOMER',
} as const;
export type CancellationReason = (typeof CancellationReason)[keyof typeof CancellationReason];
export const CancellationReasonSchema = z.enum([
  'OUT_OF_STOCK',
  'UNKNOWN_SKU',
  'PAYMENT_DECLINED',
  'SHIPPING_UNAVAILABLE',
  'CANCELLED_BY_CUSTOMER',
]);

// ---------------------------------------------------------------------------------------------
// Order service
// ---------------------------------------------------------------------------------------------

/** A customer placed an order; it is PENDING until the participants have answered. */
export const OrderPlacedV1Schema = envelopeSchema(
  'order.placed',
  1,
  z.object({
    customerId: z.string().min(1).max(100),
    customerEmail: z.email(),
    items: z.array(OrderLineSchema).min(1).max(100),
    shippingAddress: ShippingAddressSchema,
    /** Opaque token from the payment form; never a card number. */
    paymentToken: z.string().regex(/^tok_[A-Za-z0-9_]{1,64}$/),
  }),
);

/** Every participant succeeded: stock reserved, payment authorized, shipment scheduled. */
export const OrderConfirmedV1Schema = envelopeSchema(
  'order.confirmed',
  1,
  z.object({
    customerId: z.string().min(1),
    customerEmail: z.email(),
    amountCents: MoneyCentsSchema,
    currency: CurrencySchema,
    trackingNumber: z.string().min(1),
  }),
);

/** The order is CANCELLED. Every participant compensates its own part on this event. */
export const OrderCancelledV1Schema = envelopeSchema(
  'order.cancelled',
  1,
  z.object({
    reason: CancellationReasonSchema,
    customerId: z.string().min(1),
    customerEmail: z.email(),
  }),
);

// ---------------------------------------------------------------------------------------------
// Inventory service
// ---------------------------------------------------------------------------------------------

/** Every line was reserved (all or nothing), priced from the catalogue. */
export const InventoryReservedV1Schema = envelopeSchema(
  'inventory.reserved',
  1,
  z.object({
    lines: z.array(PricedLineSchema).min(1),
    amountCents: MoneyCentsSchema,
    currency: CurrencySchema,
  }),
);

/** Nothing was reserved. */
export const InventoryRejectedV1Schema = envelopeSchema(
  'inventory.rejected',
  1,
  z.object({
    reason: z.enum(['OUT_OF_STOCK', 'UNKNOWN_SKU']),
    skus: z.array(SkuSchema).min(1),
  }),
);

/** A reservation was given back (compensation of a cancelled order). */
export const InventoryReleasedV1Schema = envelopeSchema(
  'inventory.released',
  1,
  z.object({ lines: z.array(OrderLineSchema) }),
);

// ---------------------------------------------------------------------------------------------
// Payment service
// ---------------------------------------------------------------------------------------------

export const PaymentAuthorizedV1Schema = envelopeSchema(
  'payment.authorized',
  1,
  z.object({ paymentId: z.uuid(), amountCents: MoneyCentsSchema, currency: CurrencySchema }),
);

export const PaymentDeclinedV1Schema = envelopeSchema(
  'payment.declined',
  1,
  z.object({ reason: z.literal('PAYMENT_DECLINED'), amountCents: MoneyCentsSchema, currency: CurrencySchema }),
);

/** An authorized payment was refunded (compensation of a cancelled order). */
export const PaymentRefundedV1Schema = envelopeSchema(
  'payment.refunded',
  1,
  z.object({ paymentId: z.uuid(), amountCents: MoneyCentsSchema, currency: CurrencySchema }),
);

// ---------------------------------------------------------------------------------------------
// Shipping service
// ---------------------------------------------------------------------------------------------

export const ShipmentScheduledV1Schema = envelopeSchema(
  'shipment.scheduled',
  1,
  z.object({ shipmentId: z.uuid(), trackingNumber: z.string().min(1) }),
);

export const ShipmentFailedV1Schema = envelopeSchema(
  'shipment.failed',
  1,
  z.object({ reason: z.literal('SHIPPING_UNAVAILABLE'), country: CountrySchema }),
);

/** A scheduled shipment was cancelled (compensation of a cancelled order). */
export const ShipmentCancelledV1Schema = envelopeSchema(
  'shipment.cancelled',
  1,
  z.object({ shipmentId: z.uuid(), trackingNumber: z.string().min(1) }),
);

// ---------------------------------------------------------------------------------------------
// Notification service
// ---------------------------------------------------------------------------------------------

export const NotificationSentV1Schema = envelopeSchema(
  'notification.sent',
  1,
  z.object({
    notificationId: z.uuid(),
    /** The event the customer was told about. */
    kind: z.enum(['order.confirmed', 'order.cancelled']),
    recipient: z.email(),
    channel: z.enum(['log', 'smtp']),
  }),
);

// ---------------------------------------------------------------------------------------------
// Inferred types; one discriminated union per stream
// ---------------------------------------------------------------------------------------------

export type OrderPlaced = z.infer<typeof OrderPlacedV1Schema>;
export type OrderConfirmed = z.infer<typeof OrderConfirmedV1Schema>;
export type OrderCancelled = z.infer<typeof OrderCancelledV1Schema>;
export type InventoryReserved = z.infer<typeof InventoryReservedV1Schema>;
export type InventoryRejected = z.infer<typeof InventoryRejectedV1Schema>;
export type InventoryReleased = z.infer<typeof InventoryReleasedV1Schema>;
export type PaymentAuthorized = z.infer<typeof PaymentAuthorizedV1Schema>;
export type PaymentDeclined = z.infer<typeof PaymentDeclinedV1Schema>;
export type PaymentRefunded = z.infer<typeof PaymentRefundedV1Schema>;
export type ShipmentScheduled = z.infer<typeof ShipmentScheduledV1Schema>;
export type ShipmentFailed = z.infer<typeof ShipmentFailedV1Schema>;
export type ShipmentCancelled = z.infer<typeof ShipmentCancelledV1Schema>;
export type NotificationSent = z.infer<typeof NotificationSentV1Schema>;

export type OrderEvent = OrderPlaced | OrderConfirmed | OrderCancelled;
export type InventoryEvent = InventoryReserved | InventoryRejected | InventoryReleased;
export type PaymentEvent = PaymentAuthorized | PaymentDeclined | PaymentRefunded;
export type ShippingEvent = ShipmentScheduled | ShipmentFailed | ShipmentCancelled;
export type NotificationEvent = NotificationSent;

/** Every event of the catalogue, discriminated by `type`. */
export type DomainEvent = OrderEvent | InventoryEvent | PaymentEvent | ShippingEvent | NotificationEvent;
export type EventType = DomainEvent['type'];
/** The event of one type. */
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;
/** The `data` of one event type. */
export type EventData<T extends EventType> = EventOf<T>['data'];

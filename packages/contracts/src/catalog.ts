import type { z } from 'zod';
import type { ServiceName } from './envelope.js';
import {
  InventoryRejectedV1Schema,
  InventoryReleasedV1Schema,
  InventoryReservedV1Schema,
  NotificationSentV1Schema,
  OrderCancelledV1Schema,
  OrderConfirmedV1Schema,
  OrderPlacedV1Schema,
  PaymentAuthorizedV1Schema,
  PaymentDeclinedV1Schema,
  PaymentRefundedV1Schema,
  ShipmentCancelledV1Schema,
  ShipmentFailedV1Schema,
  ShipmentScheduledV1Schema,
  type EventType,
} from './events.js';

/** One published (type, version) of an event: its envelope schema and who publishes it. */
export interface CatalogEntry {
  readonly type: EventType;
  readonly version: number;
  readonly source: ServiceName;
  readonly summary: string;
  readonly schema: z.ZodType;
}

function entry(source: ServiceName, summary: string, schema: z.ZodObject<{ type: z.ZodLiteral<EventType>; version: z.ZodLiteral<number> }>): CatalogEntry {
  return { type: schema.shape.type.value, version: schema.shape.version.value, source, summary, schema };
}

/**
 * Every published schema version. A version, once released, never changes shape in a breaking
 * way (the compatibility test guards this); a breaking change is a new version appended here.
 */
export const eventCatalog: readonly CatalogEntry[] = [
  entry('order', 'A customer placed an order (PENDING).', OrderPlacedV1Schema),
  entry('order', 'All participants succeeded; the order is CONFIRMED.', OrderConfirmedV1Schema),
  entry('order', 'The order is CANCELLED; participants compensate.', OrderCancelledV1Schema),
  entry('inventory', 'Every line reserved, priced from the catalogue.', InventoryReservedV1Schema),
  entry('inventory', 'Nothing reserved: out of stock or unknown SKU.', InventoryRejectedV1Schema),
  entry('inventory', 'A reservation was released (compensation).', InventoryReleasedV1Schema),
  entry('payment', 'The amount was authorized.', PaymentAuthorizedV1Schema),
  entry('payment', 'The payment was declined.', PaymentDeclinedV1Schema),
  entry('payment', 'An authorized payment was refunded (compensation).', PaymentRefundedV1Schema),
  entry('shipping', 'A shipment was scheduled.', ShipmentScheduledV1Schema),
  entry('shipping', 'The address cannot be served.', ShipmentFailedV1Schema),
  entry('shipping', 'A scheduled shipment was cancelled (compensation).', ShipmentCancelledV1Schema),
  entry('notification', 'The customer was notified of a final state.', NotificationSentV1Schema),
];

/** All event types, in catalogue order. */
export const eventTypes: readonly EventType[] = [...new Set(eventCatalog.map((e) => e.type))];

const byKey = new Map(eventCatalog.map((e) => [`${e.type}@${e.version}`, e]));
const latest = new Map<string, CatalogEntry>();
for (const e of eventCatalog) {
  const prev = latest.get(e.type);
  if (!prev || prev.version < e.version) latest.set(e.type, e);
}

/** The catalogue entry of one (type, version), or undefined when it was never published. */
export function findSchema(type: string, version: number): CatalogEntry | undefined {
  return byKey.get(`${type}@${version}`);
}

/** The newest version of a type; producers emit this one. */
export function latestVersion(type: EventType): number {
  const e = latest.get(type);
  if (!e) throw new Error(`unknown event type ${type}`);
  return e.version;
}

/** Whether a string is a known event type. */
export function isEventType(type: string): type is EventType {
  return latest.has(type);
}

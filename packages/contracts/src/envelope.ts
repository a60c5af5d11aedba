import { z } from 'zod';

/** Services that publish events. `source` of every envelope is one of these. */
export const ServiceName = {
  order: 'order',
  inventory: 'inventory',
  payment: 'payment',
  shipping: 'shipping',
  notification: 'notification',
} as const;
export type ServiceName = (typeof ServiceName)[keyof typeof ServiceName];
export const ServiceNameSchema = z.enum([
  ServiceName.order,
  ServiceName.inventory,
  ServiceName.payment,
  ServiceName.shipping,
  ServiceName.notification,
]);

/**
 * Fields every message carries, whatever its type. The JSON body of each NATS message is one
 * envelope; `id` is also sent as the `Nats-Msg-Id` header so JetStream drops a re-publish of
 * the same event inside the stream's duplicate window.
 */
export const EnvelopeHeaderSchema = z.object({
  /** Unique per event (UUID). Consumers de-duplicate on it (inbox). */
  id: z.uuid(),
  /** Event type, e.g. `order.placed`. The NATS subject starts with it. */
  type: z.string().min(1),
  /** Schema version of `data`. A consumer refuses a version it cannot read. */
  version: z.number().int().positive(),
  /** ISO-8601 instant at which the producing state change happened. */
  occurredAt: z.iso.datetime({ offset: true }),
  /** The service that emitted the event. */
  source: ServiceNameSchema,
  /** Id of the HTTP request that started the flow; copied to every event that follows from it. */
  correlationId: z.string().min(1).max(200),
  /** `id` of the event that caused this one; `null` for an event caused by an HTTP request. */
  causationId: z.string().min(1).max(200).nullable(),
  /** The order this event belongs to; also the last token of the subject. */
  orderId: z.uuid(),
});
export type EnvelopeHeader = z.infer<typeof EnvelopeHeaderSchema>;

/** Builds the schema of one (type, version) envelope around its `data` schema. */
export function envelopeSchema<const T extends string, const V extends number, D extends z.ZodType>(
  type: T,
  version: V,
  data: D,
) {
  return EnvelopeHeaderSchema.extend({
    type: z.literal(type),
    version: z.literal(version),
    data,
  });
}

import { z } from 'zod';
import { CancellationReasonSchema, CurrencySchema, OrderLineSchema, OrderPlacedV1Schema } from '@orderflow/contracts';
import { createHttpServer, registerRoutes, type HttpServer, type ServiceDeps } from '@orderflow/service-kit';
import type { OrderSchema } from './db/schema.js';
import { cancelOrder } from './use-cases/cancel-order.js';
import { placeOrder } from './use-cases/place-order.js';
import { getOrder, listOrderPage } from './use-cases/read-orders.js';

const OrderStatusSchema = z.enum(['PENDING', 'CONFIRMED', 'CANCELLED']);

// Postgres text and jsonb refuse U+0000; refused here it is the client's 400, not our 500.
const hasNul = (value: string): boolean => value.includes('\u0000');

/** Paths of every string in a JSON value that holds a U+0000. */
function nulPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string') return hasNul(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => nulPaths(v, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nulPaths(v, [...path, k]));
  return [];
}

/**
 * The `POST /orders` body is the data of `order.placed`, rule for rule. Unknown keys (a
 * client's `price`, `unitPriceCents`, `amount`...) are stripped, never read: money comes from
 * the catalogue.
 */
const PlaceOrderBodySchema = OrderPlacedV1Schema.shape.data.superRefine((body, ctx) => {
  for (const path of nulPaths(body)) ctx.addIssue({ code: 'custom', path, message: 'must not contain NUL characters' });
});

// Loose: the validated value replaces request.headers, which must keep every other header.
const PlaceOrderHeadersSchema = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7E]{1,200}$/, '1 to 200 printable ASCII characters, no spaces')
    .optional(),
});

const PlacedOrderSchema = z.object({
  orderId: z.uuid(),
  status: z.literal('PENDING'),
  correlationId: z.string(),
});

const OrderIdParamsSchema = z.object({ id: z.uuid() });

const TimelineEntrySchema = z.object({ type: z.string(), occurredAt: z.string() });

const OrderViewSchema = z.object({
  orderId: z.uuid(),
  status: OrderStatusSchema,
  cancellationReason: CancellationReasonSchema.optional(),
  customerId: z.string(),
  items: z.array(OrderLineSchema),
  /** In cents (integer), from inventory.reserved; absent until inventory has priced the order. */
  amount: z.number().int().optional().describe('Order total in cents (integer), priced by inventory; absent until known'),
  currency: CurrencySchema.optional(),
  correlationId: z.string(),
  timeline: z.array(TimelineEntrySchema),
});

const OrderSummarySchema = OrderViewSchema.omit({ items: true, timeline: true, correlationId: true }).extend({ createdAt: z.string() });

const ListQuerySchema = z.object({
  customerId: z.string().min(1).max(100).refine((v) => !hasNul(v), 'must not contain NUL characters').optional(),
  status: OrderStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(400).optional().describe('Opaque: the nextCursor of the previous page'),
});

const OrderPageSchema = z.object({ items: z.array(OrderSummarySchema), nextCursor: z.string().nullable() });

const CancelledSchema = z.object({ orderId: z.uuid(), status: z.literal('CANCELLED') });

/**
 * The order service's HTTP API, the system's edge (DESIGN.md "HTTP (contract)"). Routes are
 * thin: schemas in, a use case, the result out. Status changes driven by events happen in the
 * handlers.
 */
export function buildApp(deps: ServiceDeps<OrderSchema>): HttpServer {
  const app = createHttpServer({ service: 'order', logger: deps.logger, metrics: deps.metrics, readiness: deps.readiness });
  registerRoutes(app, (r) => {
    r.post(
      '/orders',
      { schema: { headers: PlaceOrderHeadersSchema, body: PlaceOrderBodySchema, response: { 202: PlacedOrderSchema } } },
      async (request, reply) => {
        const placed = await placeOrder(deps, request.body, {
          // The same id service-kit echoes in X-Correlation-Id and stamps on the events.
          correlationId: request.correlationId,
          idempotencyKey: request.headers['idempotency-key'],
        });
        if (placed.replayed) void reply.header('idempotent-replayed', 'true');
        return reply
          .code(202)
          .header('location', `/orders/${placed.orderId}`)
          .send({ orderId: placed.orderId, status: placed.status, correlationId: placed.correlationId });
      },
    );

    r.get('/orders', { schema: { querystring: ListQuerySchema, response: { 200: OrderPageSchema } } }, async (request) =>
      listOrderPage(deps, request.query),
    );

    r.get('/orders/:id', { schema: { params: OrderIdParamsSchema, response: { 200: OrderViewSchema } } }, async (request) =>
      getOrder(deps, request.params.id.toLowerCase()),
    );

    r.post(
      '/orders/:id/cancel',
      { schema: { params: OrderIdParamsSchema, response: { 202: CancelledSchema } } },
      async (request, reply) => reply.code(202).send(await cancelOrder(deps, request.params.id.toLowerCase())),
    );
  });
  return app;
}

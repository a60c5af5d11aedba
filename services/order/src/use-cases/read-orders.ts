import type { CancellationReason } from '@orderflow/contracts';
import { ValidationError, NotFoundError, type ServiceDeps } from '@orderflow/service-kit';
import { findOrder, listOrders, listTimeline, type Order } from '../db/repository.js';
import type { OrderSchema, OrderLine } from '../db/schema.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';

/** `GET /orders/:id`. `amount` is in cents (from inventory.reserved), absent until known. */
export interface OrderView {
  orderId: string;
  status: Order['status'];
  cancellationReason?: CancellationReason;
  customerId: string;
  items: OrderLine[];
  amount?: number;
  currency?: string;
  correlationId: string;
  timeline: { type: string; occurredAt: string }[];
}

/** One row of `GET /orders`. */
export interface OrderSummary {
  orderId: string;
  status: Order['status'];
  cancellationReason?: CancellationReason;
  customerId: string;
  amount?: number;
  currency?: string;
  createdAt: string;
}

function optionalFields(order: Order): Pick<OrderView, 'cancellationReason' | 'amount' | 'currency'> {
  return {
    ...(order.cancellationReason === null ? {} : { cancellationReason: order.cancellationReason }),
    ...(order.amountCents === null ? {} : { amount: order.amountCents }),
    ...(order.currency === null ? {} : { currency: order.currency }),
  };
}

/** The order with its timeline, or NotFoundError. */
export async function getOrder(deps: Pick<ServiceDeps<OrderSchema>, 'db'>, orderId: string): Promise<OrderView> {
  const order = await findOrder(deps.db, orderId);
  if (!order) throw new NotFoundError(`no order ${orderId}`);
  const timeline = await listTimeline(deps.db, orderId);
  return {
    orderId: order.id,
    status: order.status,
    customerId: order.customerId,
    items: order.items,
    correlationId: order.correlationId,
    ...optionalFields(order),
    timeline: timeline.map((t) => ({ type: t.type, occurredAt: t.occurredAt.toISOString() })),
  };
}

/** Query of `GET /orders`, already schema-validated (the cursor is checked here). */
export interface ListQuery {
  readonly customerId?: string | undefined;
  readonly status?: Order['status'] | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/**
 * A page of orders, newest first, by keyset on (createdAt, id): stable while orders are placed
 * concurrently (a new order lands before the first page, never inside a later one).
 */
export async function listOrderPage(
  deps: Pick<ServiceDeps<OrderSchema>, 'db'>,
  query: ListQuery,
): Promise<{ items: OrderSummary[]; nextCursor: string | null }> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (query.cursor !== undefined && after === undefined) {
    throw new ValidationError('invalid querystring', { issues: [{ path: 'cursor', message: 'not a cursor from this API' }] });
  }
  // One extra row tells whether there is a next page without a count query.
  const rows = await listOrders(deps.db, { customerId: query.customerId, status: query.status, after, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((o) => ({
      orderId: o.id,
      status: o.status,
      customerId: o.customerId,
      ...optionalFields(o),
      createdAt: o.createdAt.toISOString(),
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

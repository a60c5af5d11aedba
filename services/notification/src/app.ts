import { z } from 'zod';
import { createHttpServer, registerRoutes, type HttpServer, type ServiceDeps } from '@orderflow/service-kit';
import { listLatestNotifications, listNotificationsOfOrder, type Notification } from './db/repository.js';
import type { NotificationSchema } from './db/schema.js';

/** How many notifications `GET /notifications` without `orderId` returns (newest first). */
export const LATEST_NOTIFICATIONS_LIMIT = 100;

const NotificationDtoSchema = z.object({
  /** The order event the customer was told about. */
  type: z.enum(['order.confirmed', 'order.cancelled']),
  recipient: z.string(),
  orderId: z.string(),
  sentAt: z.string(),
});

const ListQuerySchema = z.object({ orderId: z.uuid().optional() });

function toDto(n: Notification): z.infer<typeof NotificationDtoSchema> {
  return { type: n.kind, recipient: n.recipient, orderId: n.orderId, sentAt: n.sentAt.toISOString() };
}

/** The notification read model: what each customer was told, and when. */
export function buildApp(deps: ServiceDeps<NotificationSchema>): HttpServer {
  const app = createHttpServer({ service: 'notification', logger: deps.logger, metrics: deps.metrics, readiness: deps.readiness });
  registerRoutes(app, (r) => {
    r.get(
      '/notifications',
      {
        schema: {
          description: `With orderId: that order's notifications, oldest first. Without: the latest ${LATEST_NOTIFICATIONS_LIMIT}, newest first.`,
          querystring: ListQuerySchema,
          response: { 200: z.array(NotificationDtoSchema) },
        },
      },
      async (request) => {
        const { orderId } = request.query;
        const rows = orderId
          ? await listNotificationsOfOrder(deps.db, orderId)
          : await listLatestNotifications(deps.db, LATEST_NOTIFICATIONS_LIMIT);
        return rows.map(toDto);
      },
    );
  });
  return app;
}

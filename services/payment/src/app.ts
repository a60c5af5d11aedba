import { z } from 'zod';
import { createHttpServer, registerRoutes, type HttpServer, type ServiceDeps } from '@orderflow/service-kit';
import { listPayments, type Payment } from './db/repository.js';
import type { PaymentSchema } from './db/schema.js';

/** How many payments `GET /payments` without `orderId` returns (newest first). */
export const LATEST_PAYMENTS_LIMIT = 100;

const PaymentDtoSchema = z.object({
  paymentId: z.string(),
  orderId: z.string(),
  amountCents: z.number().int(),
  status: z.enum(['AUTHORIZED', 'DECLINED', 'REFUNDED']),
});

const PaymentsQuerySchema = z.object({ orderId: z.uuid().optional() });

function toDto(p: Payment): z.infer<typeof PaymentDtoSchema> {
  return { paymentId: p.paymentId, orderId: p.orderId, amountCents: p.amountCents, status: p.status };
}

/** The payment read model. Payments change only in event handlers. */
export function buildApp(deps: ServiceDeps<PaymentSchema>): HttpServer {
  const app = createHttpServer({ service: 'payment', logger: deps.logger, metrics: deps.metrics, readiness: deps.readiness });
  registerRoutes(app, (r) => {
    r.get('/payments', { schema: { querystring: PaymentsQuerySchema, response: { 200: z.array(PaymentDtoSchema) } } }, async (request) =>
      (await listPayments(deps.db, { orderId: request.query.orderId, limit: LATEST_PAYMENTS_LIMIT })).map(toDto),
    );
  });
  return app;
}

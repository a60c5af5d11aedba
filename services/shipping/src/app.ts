import { z } from 'zod';
import { createHttpServer, registerRoutes, type HttpServer, type ServiceDeps } from '@orderflow/service-kit';
import { listShipments, type Shipment } from './db/repository.js';
import type { ShippingSchema } from './db/schema.js';

/** How many shipments `GET /shipments` without `orderId` returns (newest first). */
export const LATEST_SHIPMENTS_LIMIT = 100;

const ShipmentDtoSchema = z.object({
  shipmentId: z.string(),
  orderId: z.string(),
  status: z.enum(['SCHEDULED', 'CANCELLED']),
  trackingNumber: z.string(),
});

const ShipmentsQuerySchema = z.object({ orderId: z.uuid().optional() });

const toDto = ({ shipmentId, orderId, status, trackingNumber }: Shipment): z.infer<typeof ShipmentDtoSchema> => ({
  shipmentId,
  orderId,
  status,
  trackingNumber,
});

/** The shipping read model (failed attempts are not shipments). Shipments change only in event handlers. */
export function buildApp(deps: ServiceDeps<ShippingSchema>): HttpServer {
  const app = createHttpServer({ service: 'shipping', logger: deps.logger, metrics: deps.metrics, readiness: deps.readiness });
  registerRoutes(app, (r) => {
    const schema = { querystring: ShipmentsQuerySchema, response: { 200: z.array(ShipmentDtoSchema) } };
    r.get('/shipments', { schema }, async (request) => {
      const rows = await listShipments(deps.db, request.query.orderId, LATEST_SHIPMENTS_LIMIT);
      return rows.map(toDto);
    });
  });
  return app;
}

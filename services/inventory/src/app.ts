import { z } from 'zod';
import { CurrencySchema, SkuSchema } from '@orderflow/contracts';
import { createHttpServer, NotFoundError, registerRoutes, type HttpServer, type ServiceDeps } from '@orderflow/service-kit';
import { findProduct, listProducts, upsertProduct, type Product } from './db/repository.js';
import type { InventorySchema } from './db/schema.js';

const ProductSchema = z.object({
  sku: z.string(),
  name: z.string(),
  priceCents: z.number().int(),
  currency: z.string(),
  stock: z.number().int(),
  updatedAt: z.string(),
});

const ProductBodySchema = z.object({
  name: z.string().min(1).max(200),
  priceCents: z.number().int().nonnegative().max(100_000_000),
  currency: CurrencySchema,
  stock: z.number().int().nonnegative().max(1_000_000_000),
});

const SkuParamsSchema = z.object({ sku: SkuSchema });

function toDto(p: Product): z.infer<typeof ProductSchema> {
  return { sku: p.sku, name: p.name, priceCents: p.priceCents, currency: p.currency, stock: p.stock, updatedAt: p.updatedAt.toISOString() };
}

/** The inventory read API and catalogue upsert. Stock changes by events happen in handlers. */
export function buildApp(deps: ServiceDeps<InventorySchema>): HttpServer {
  const app = createHttpServer({ service: 'inventory', logger: deps.logger, metrics: deps.metrics, readiness: deps.readiness });
  registerRoutes(app, (r) => {
    r.get('/products', { schema: { response: { 200: z.array(ProductSchema) } } }, async () =>
      (await listProducts(deps.db)).map(toDto),
    );
    r.get('/products/:sku', { schema: { params: SkuParamsSchema, response: { 200: ProductSchema } } }, async (request) => {
      const p = await findProduct(deps.db, request.params.sku);
      if (!p) throw new NotFoundError(`no product ${request.params.sku}`);
      return toDto(p);
    });
    r.put(
      '/products/:sku',
      { schema: { params: SkuParamsSchema, body: ProductBodySchema, response: { 200: ProductSchema } } },
      async (request) => toDto(await upsertProduct(deps.db, { sku: request.params.sku, ...request.body }, deps.clock())),
    );
  });
  return app;
}

import { sql } from 'drizzle-orm';
import type { ServiceDeps } from '@orderflow/service-kit';
import { products, type InventorySchema } from './db/schema.js';

/** The catalogue a fresh stack starts with (README curl examples use these SKUs). */
export const SEED_CATALOGUE = [
  { sku: 'KEYBOARD-01', name: 'Mechanical keyboard', priceCents: 8900, currency: 'EUR', stock: 100 },
  { sku: 'MOUSE-01', name: 'Wireless mouse', priceCents: 2500, currency: 'EUR', stock: 200 },
  { sku: 'MONITOR-27', name: '27" monitor', priceCents: 24900, currency: 'EUR', stock: 50 },
  { sku: 'CABLE-USB-C', name: 'USB-C cable', priceCents: 900, currency: 'EUR', stock: 1000 },
  { sku: 'LAMP-01', name: 'Desk lamp', priceCents: 3900, currency: 'EUR', stock: 1 },
] as const;

/** Seeds the catalogue on first start only (an empty table), so later edits survive restarts. */
export async function seedCatalogue(deps: ServiceDeps<InventorySchema>): Promise<void> {
  await deps.db.transaction(async (tx) => {
    // Serialize concurrent first starts of several replicas.
    await tx.execute(sql`lock table ${products} in share row exclusive mode`);
    const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(products);
    if ((row?.n ?? 0) > 0) return;
    await tx.insert(products).values(SEED_CATALOGUE.map((p) => ({ ...p })));
    deps.logger.info({ products: SEED_CATALOGUE.length }, 'catalogue seeded');
  });
}

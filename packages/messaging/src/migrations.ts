import { fileURLToPath } from 'node:url';

/**
 * drizzle-kit migrations of the outbox and inbox tables. Services apply them with their own
 * (service-kit `runMigrations`), in a migrations table of their own (`__messaging_migrations`),
 * so the messaging tables never appear in a service's schema diff.
 */
export const messagingMigrations = {
  folder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  table: '__messaging_migrations',
} as const;

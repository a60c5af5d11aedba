-- The outbox becomes a queue: the relay deletes a row once JetStream has acknowledged it, instead
-- of setting published_at and pruning it a day later. Rows already published go now; rows not yet
-- published stay and are published as before.
DELETE FROM "messaging_outbox" WHERE "published_at" IS NOT NULL;--> statement-breakpoint
DROP INDEX "messaging_outbox_unpublished_idx";--> statement-breakpoint
DROP INDEX "messaging_outbox_published_at_idx";--> statement-breakpoint
ALTER TABLE "messaging_outbox" DROP COLUMN "published_at";--> statement-breakpoint
-- The inbox's prune index: BRIN instead of a B-tree, so an insert adds no index entry.
DROP INDEX "messaging_inbox_processed_at_idx";--> statement-breakpoint
CREATE INDEX "messaging_inbox_processed_at_brin" ON "messaging_inbox" USING brin ("processed_at");

CREATE TABLE "order_timeline" (
	"order_id" uuid NOT NULL,
	"fact" text NOT NULL,
	"type" text NOT NULL,
	"event_id" uuid NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"seq" bigserial NOT NULL,
	CONSTRAINT "order_timeline_order_id_fact_pk" PRIMARY KEY("order_id","fact")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"cancellation_reason" text,
	"customer_id" text NOT NULL,
	"customer_email" text NOT NULL,
	"items" jsonb NOT NULL,
	"shipping_address" jsonb NOT NULL,
	"amount_cents" integer,
	"currency" text,
	"tracking_number" text,
	"correlation_id" text NOT NULL,
	"idempotency_key" text,
	"request_hash" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "orders_amount_non_negative" CHECK ("orders"."amount_cents" >= 0)
);
--> statement-breakpoint
ALTER TABLE "order_timeline" ADD CONSTRAINT "order_timeline_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "orders_idempotency_key_unique" ON "orders" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "orders_created_idx" ON "orders" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "orders_customer_created_idx" ON "orders" USING btree ("customer_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);
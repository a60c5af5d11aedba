CREATE TABLE "messaging_inbox" (
	"consumer" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "messaging_inbox_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
CREATE TABLE "messaging_outbox" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "messaging_outbox_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" uuid NOT NULL,
	"subject" text NOT NULL,
	"payload" text NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE INDEX "messaging_inbox_processed_at_idx" ON "messaging_inbox" USING btree ("processed_at");--> statement-breakpoint
CREATE INDEX "messaging_outbox_unpublished_idx" ON "messaging_outbox" USING btree ("seq") WHERE "messaging_outbox"."published_at" is null;--> statement-breakpoint
CREATE INDEX "messaging_outbox_published_at_idx" ON "messaging_outbox" USING btree ("published_at") WHERE "messaging_outbox"."published_at" is not null;
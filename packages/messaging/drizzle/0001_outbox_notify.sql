-- Wake the outbox relay when rows are committed. A statement-level trigger sends one NOTIFY
-- per inserting statement, and Postgres folds identical notifications of one transaction into
-- one, delivered only at commit, so the relay never sees a row before it is visible.
CREATE OR REPLACE FUNCTION messaging_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('messaging_outbox', '');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER messaging_outbox_notify AFTER INSERT ON messaging_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION messaging_outbox_notify();

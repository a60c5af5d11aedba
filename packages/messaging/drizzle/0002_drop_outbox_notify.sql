-- No NOTIFY on outbox inserts. A transaction that notifies takes, at commit, a lock that every
-- other notifying transaction of the whole Postgres cluster waits for, and holds it through its
-- commit record's flush: with the trigger, every commit that wrote events (all five services'
-- databases together) was serialized. Nobody listens: a relay publishes its own process's rows
-- as soon as they commit, and polls for everything else.
DROP TRIGGER IF EXISTS messaging_outbox_notify ON messaging_outbox;
--> statement-breakpoint
DROP FUNCTION IF EXISTS messaging_outbox_notify();

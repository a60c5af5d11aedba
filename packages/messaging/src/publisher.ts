import type pg from 'pg';
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { subjectFor, type DomainEvent, type Namespace } from '@orderflow/contracts';
import { INSERT_OUTBOX_TEXT, insertOutboxValues, recordOf } from './outbox.js';
import { childTraceparent } from './trace.js';

/**
 * Gets complete events onto JetStream. When `publish` resolves, the events will reach their
 * stream even if this process dies now. Events that share an `id` are one event: the stream keeps
 * one copy inside its duplicate window, and consumers handle it once.
 */
export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<void>;
}

/**
 * Publishes straight to JetStream and waits for every PubAck. Not transactional with any
 * database write; for tools, tests and injecting events, not for services (use the outbox).
 */
export function createDirectPublisher(js: JetStreamClient, options: { namespace?: Namespace } = {}): EventPublisher {
  return {
    async publish(events) {
      await Promise.all(
        events.map((e) => {
          const h = natsHeaders();
          h.set('traceparent', childTraceparent());
          return js.publish(subjectFor(e, options.namespace), JSON.stringify(e), { msgID: e.id, headers: h });
        }),
      );
    },
  };
}

/**
 * Commits events to the outbox in one transaction of their own; a relay publishes them. Use
 * `enqueue` instead when the events belong with a state change.
 */
export function createOutboxPublisher(pool: pg.Pool): EventPublisher {
  return {
    async publish(events) {
      if (events.length === 0) return;
      const records = events.map((e) => recordOf(e));
      await pool.query(INSERT_OUTBOX_TEXT, insertOutboxValues(records));
    },
  };
}

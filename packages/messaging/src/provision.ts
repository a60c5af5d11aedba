import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { StreamDefinition } from '@orderflow/contracts';

/** Stream settings shared by every stream we create. */
export interface StreamSettings {
  /** Window in which a re-published `Nats-Msg-Id` is dropped. Must exceed the relay's retry horizon. */
  readonly duplicateWindowMs?: number;
  /** How long events are kept. */
  readonly maxAgeMs?: number;
  readonly storage?: 'file' | 'memory';
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.status === 404;
}

/**
 * Creates each stream, or updates it to the given subjects and settings when it exists.
 * Safe to run from every replica at start-up (creating an identical stream is a no-op).
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  streams: readonly StreamDefinition[],
  settings: StreamSettings = {},
): Promise<void> {
  for (const s of streams) {
    const config = {
      name: s.name,
      subjects: [...s.subjects],
      description: s.description,
      retention: RetentionPolicy.Limits,
      storage: settings.storage === 'memory' ? StorageType.Memory : StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(settings.maxAgeMs ?? 7 * 24 * 3600_000),
      duplicate_window: nanos(settings.duplicateWindowMs ?? 120_000),
      num_replicas: 1,
    };
    try {
      await jsm.streams.info(s.name);
      await jsm.streams.update(s.name, config);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await jsm.streams.add(config);
      } catch (addErr) {
        // Another replica created it between our info and add.
        await jsm.streams.info(s.name).catch(() => {
          throw addErr;
        });
      }
    }
  }
}

/** A durable pull consumer. */
export interface ConsumerDefinition {
  readonly stream: string;
  /** `<service>-<purpose>`; never rename a released one (a new name re-reads the stream). */
  readonly name: string;
  /** One subject filter (nats-server 2.9 has no `filter_subjects`). */
  readonly filterSubject: string;
  /** Bound on delivered-but-unacked messages across all replicas. */
  readonly maxAckPending?: number;
  /** Redelivery timeout if a message is neither acked nor nak'd nor marked working. */
  readonly ackWaitMs?: number;
}

/**
 * Creates the durable pull consumer, or updates its tunables when it exists. `max_deliver` is
 * unlimited on purpose: the runner counts attempts itself and dead-letters; a server-side limit
 * would drop the message silently.
 */
export async function ensureConsumer(jsm: JetStreamManager, def: ConsumerDefinition): Promise<void> {
  const tunables = {
    max_ack_pending: def.maxAckPending ?? 1000,
    ack_wait: nanos(def.ackWaitMs ?? 30_000),
    max_deliver: -1,
  };
  try {
    const info = await jsm.consumers.info(def.stream, def.name);
    if (info.config.filter_subject !== def.filterSubject) {
      throw new Error(
        `consumer ${def.name} filters ${info.config.filter_subject}, expected ${def.filterSubject}; a durable's filter is fixed once released`,
      );
    }
    await jsm.consumers.update(def.stream, def.name, tunables);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.consumers.add(def.stream, {
        durable_name: def.name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: def.filterSubject,
        ...tunables,
      });
    } catch (addErr) {
      await jsm.consumers.info(def.stream, def.name).catch(() => {
        throw addErr;
      });
    }
  }
}

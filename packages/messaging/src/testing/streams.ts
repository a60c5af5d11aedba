import { AckPolicy, jetstream, jetstreamManager, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  decodeEvent,
  streamForType,
  subjectFilter,
  type DomainEvent,
  type EventOf,
  type EventType,
  type Namespace,
} from '@orderflow/contracts';

/** One message as stored in a stream. */
export interface StoredEvent {
  readonly seq: number;
  readonly subject: string;
  readonly headers: Record<string, string>;
  readonly data: Uint8Array;
  /** The decoded envelope, or undefined when the body is not a valid event. */
  readonly event: DomainEvent | undefined;
}

/** Every message currently in `stream` (oldest first), optionally only those whose subject starts with `subjectPrefix`. */
export async function readStream(
  jsm: JetStreamManager,
  stream: string,
  options: { subjectPrefix?: string } = {},
): Promise<StoredEvent[]> {
  const info = await jsm.streams.info(stream);
  const out: StoredEvent[] = [];
  if (info.state.messages === 0) return out;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!m) continue;
    if (options.subjectPrefix && !m.subject.startsWith(options.subjectPrefix)) continue;
    const headers: Record<string, string> = {};
    if (m.header) for (const k of m.header.keys()) headers[k] = m.header.get(k);
    let event: DomainEvent | undefined;
    try {
      event = decodeEvent(m.data);
    } catch {
      event = undefined;
    }
    out.push({ seq: m.seq, subject: m.subject, headers, data: m.data, event });
  }
  return out;
}

/** Every valid event of one type currently in its stream. */
export async function readEvents<T extends EventType>(
  nc: NatsConnection,
  type: T,
  options: { namespace?: Namespace } = {},
): Promise<EventOf<T>[]> {
  const jsm = await jetstreamManager(nc);
  const prefix = `${options.namespace ? `${options.namespace}.` : ''}${type}.`;
  const stored = await readStream(jsm, streamForType(type, options.namespace).name, { subjectPrefix: prefix });
  return stored.flatMap((s) => (s.event?.type === type ? [s.event as EventOf<T>] : []));
}

/**
 * Waits until an event of `type` matching `predicate` is in its stream (looking at the whole
 * stream, so an event published before the call is found too). Rejects after `timeoutMs`.
 */
export async function waitForEvent<T extends EventType>(
  nc: NatsConnection,
  type: T,
  predicate: (event: EventOf<T>) => boolean = () => true,
  options: { namespace?: Namespace; timeoutMs?: number } = {},
): Promise<EventOf<T>> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stream = streamForType(type, options.namespace).name;
  // An ephemeral pull consumer with one filter_subject (ordered consumers on nats-server 2.9
  // cannot filter through the client); the server removes it if we vanish.
  const info = await jsm.consumers.add(stream, {
    filter_subject: subjectFilter(type, options.namespace),
    deliver_policy: DeliverPolicy.All,
    ack_policy: AckPolicy.None,
    inactive_threshold: nanos(30_000),
  });
  const consumer = await js.consumers.get(stream, info.name);
  const messages = await consumer.consume();
  const timer = setTimeout(() => void messages.close(), timeoutMs);
  try {
    for await (const m of messages) {
      let event: DomainEvent;
      try {
        event = decodeEvent(m.data);
      } catch {
        continue;
      }
      if (event.type === type && predicate(event as EventOf<T>)) return event as EventOf<T>;
    }
  } finally {
    clearTimeout(timer);
    await messages.close().catch(() => {});
    await jsm.consumers.delete(stream, info.name).catch(() => {});
  }
  throw new Error(`waitForEvent: no ${type} matching the predicate within ${timeoutMs} ms`);
}

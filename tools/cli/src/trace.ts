import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { decodeEvent, deadLetterStream, serviceStreams, type DomainEvent, type Namespace } from '@orderflow/contracts';
import { listDeadLetters, type DeadLetter } from '@orderflow/messaging';
import { isUuid, TraceBy } from './args.js';
import { isStreamNotFound, readFiltered, type RawMessage } from './stream-reader.js';

/** One valid event found in a service stream. */
export interface TracedEvent {
  readonly stream: string;
  readonly seq: number;
  readonly subject: string;
  readonly event: DomainEvent;
  /** The body as published (parsed JSON, not re-shaped by the schema): what `--json` prints. */
  readonly raw: unknown;
}

/** A message on the traced subjects whose body is not a valid event (it cannot take part in the tree). */
export interface UndecodableMessage {
  readonly stream: string;
  readonly seq: number;
  readonly subject: string;
  readonly error: string;
}

/** Everything the streams hold about one order or one correlation id. */
export interface Trace {
  readonly id: string;
  /** How `id` matched: the events' `orderId` or their `correlationId`. */
  readonly matchedBy: 'orderId' | 'correlationId';
  /** In stream order per stream; see `causalOrder` for the display order. */
  readonly events: readonly TracedEvent[];
  readonly undecodable: readonly UndecodableMessage[];
  readonly deadLetters: readonly DeadLetter[];
  /** Streams of the namespace that do not exist on the server (a wrong NATS_NAMESPACE, or a fresh server). */
  readonly missingStreams: readonly string[];
}

/** The ids a message body claims, read without validation (dead letters are often invalid). */
export interface LooseEnvelope {
  readonly id?: string;
  readonly orderId?: string;
  readonly correlationId?: string;
}

const textDecoder = new TextDecoder();

/** Parses a body as JSON, or `undefined`. */
function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(textDecoder.decode(data)) as unknown;
  } catch {
    return undefined;
  }
}

/** `id`, `orderId` and `correlationId` of a body when they are strings; nothing else is checked. */
export function looseEnvelope(data: Uint8Array): LooseEnvelope {
  const value = parseJson(data);
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const pick = (key: string) => (typeof record[key] === 'string' ? { [key]: record[key] } : {});
  return { ...pick('id'), ...pick('orderId'), ...pick('correlationId') };
}

/** Subjects are `<ns>.<type>.<orderId>`: the last token is the order id. */
function orderIdOfSubject(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

/**
 * Whether a dead letter belongs to the trace: it carries one of the traced events, or (by the
 * mode) its subject or body names the order, or its body names the correlation id.
 */
export function deadLetterMatches(
  dl: Pick<DeadLetter, 'originalSubject' | 'data'>,
  query: { readonly id: string; readonly by: TraceBy },
  eventIds: ReadonlySet<string>,
): boolean {
  const body = looseEnvelope(dl.data);
  if (body.id !== undefined && eventIds.has(body.id)) return true;
  const asOrder = query.by !== TraceBy.correlation && isUuid(query.id);
  const orderId = query.id.toLowerCase();
  if (asOrder && (orderIdOfSubject(dl.originalSubject) === orderId || body.orderId === orderId)) return true;
  return query.by !== TraceBy.order && body.correlationId === query.id;
}

interface Read {
  readonly events: TracedEvent[];
  readonly undecodable: UndecodableMessage[];
  readonly missingStreams: string[];
}

/** Reads the service streams through `filterOf(streamSubject)`, keeping the messages `keep` accepts. */
async function readServiceStreams(
  js: JetStreamClient,
  jsm: JetStreamManager,
  namespace: Namespace,
  filterOf: (streamSubject: string) => string,
  keep: (message: RawMessage, event: DomainEvent | undefined) => boolean,
): Promise<Read> {
  const read: Read = { events: [], undecodable: [], missingStreams: [] };
  for (const stream of serviceStreams(namespace)) {
    // One consumer per subject: nats-server 2.9 has no multi-filter consumers.
    for (const subject of stream.subjects) {
      const messages = await readFiltered(js, jsm, stream.name, filterOf(subject));
      if (messages === undefined) {
        read.missingStreams.push(stream.name);
        break;
      }
      for (const m of messages) {
        let event: DomainEvent | undefined;
        let error = '';
        try {
          event = decodeEvent(m.data);
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
        }
        if (!keep(m, event)) continue;
        if (event) read.events.push({ stream: m.stream, seq: m.seq, subject: m.subject, event, raw: parseJson(m.data) });
        else read.undecodable.push({ stream: m.stream, seq: m.seq, subject: m.subject, error });
      }
    }
  }
  return read;
}

/** Every message of one order: the server filters on `<root>.*.<orderId>` in each stream. */
function readOrder(js: JetStreamClient, jsm: JetStreamManager, namespace: Namespace, orderId: string): Promise<Read> {
  // Stream subjects are `<ns>.<root>.>`; event subjects `<ns>.<root>.<verb>.<orderId>`.
  return readServiceStreams(js, jsm, namespace, (subject) => subject.replace(/>$/, `*.${orderId}`), () => true);
}

/** Every message of one correlation id: no subject names it, so each stream is read whole. */
function readCorrelation(js: JetStreamClient, jsm: JetStreamManager, namespace: Namespace, correlationId: string): Promise<Read> {
  return readServiceStreams(
    js,
    jsm,
    namespace,
    (subject) => subject,
    (m, event) => (event ? event.correlationId : looseEnvelope(m.data).correlationId) === correlationId,
  );
}

/**
 * Collects the events and dead letters of one order or correlation id from the namespace's
 * service streams and its dead-letter stream. With `by: auto`, a UUID is tried as an order id
 * first and as a correlation id when no message has that order id.
 */
export async function collectTrace(
  js: JetStreamClient,
  jsm: JetStreamManager,
  query: { readonly id: string; readonly by: TraceBy },
  options: { readonly namespace?: Namespace } = {},
): Promise<Trace> {
  const namespace = options.namespace ?? '';
  let matchedBy: Trace['matchedBy'] = 'correlationId';
  let read: Read | undefined;
  if (query.by === TraceBy.order || (query.by === TraceBy.auto && isUuid(query.id))) {
    // Order ids are lower-case UUIDs (randomUUID); subjects match case-sensitively.
    read = await readOrder(js, jsm, namespace, query.id.toLowerCase());
    matchedBy = 'orderId';
    if (query.by === TraceBy.auto && read.events.length === 0 && read.undecodable.length === 0) read = undefined;
  }
  if (read === undefined) {
    read = await readCorrelation(js, jsm, namespace, query.id);
    matchedBy = 'correlationId';
  }

  const eventIds = new Set(read.events.map((e) => e.event.id));
  let deadLetters: DeadLetter[] = [];
  const missingStreams = [...read.missingStreams];
  try {
    const all = await listDeadLetters(jsm, { namespace, limit: Number.MAX_SAFE_INTEGER });
    deadLetters = all.filter((dl) => deadLetterMatches(dl, query, eventIds));
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    missingStreams.push(deadLetterStream(namespace).name);
  }
  return { id: query.id, matchedBy, events: read.events, undecodable: read.undecodable, deadLetters, missingStreams };
}

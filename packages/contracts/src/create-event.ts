import { randomUUID } from 'node:crypto';
import type { ServiceName } from './envelope.js';
import { latestVersion } from './catalog.js';
import type { EventData, EventOf, EventType } from './events.js';

/** What a producer decides: the type, the order, the data. The envelope is filled in around it. */
export interface EventDraft<T extends EventType = EventType> {
  readonly type: T;
  readonly orderId: string;
  readonly data: EventData<T>;
  /** Defaults to the newest version of the type. */
  readonly version?: number;
  /** Defaults to a fresh UUID. Pass a deterministic id to make a retried emission idempotent. */
  readonly id?: string;
  /**
   * Defaults to the id of the event being handled. Set it when the draft answers an earlier event
   * the service kept until now (a reservation that arrived before its order, say), so the trace
   * shows the event that actually caused it.
   */
  readonly causationId?: string;
}

/** Where an event comes from: the service, and either the event that caused it or the request. */
export interface EventOrigin {
  readonly source: ServiceName;
  /** The event being handled; its `id` becomes `causationId`, its `correlationId` is copied. */
  readonly cause?: { readonly id: string; readonly correlationId: string } | undefined;
  /** Used when there is no `cause` (an event caused by an HTTP request). */
  readonly correlationId?: string | undefined;
  /** Injected clock. */
  readonly now?: Date | undefined;
}

/** Any draft, distributed over the event types (so `data` matches `type`). */
export type AnyEventDraft = { [T in EventType]: EventDraft<T> }[EventType];

/**
 * Wraps a draft in the envelope: assigns `id`, `occurredAt`, `version`, `source`,
 * `correlationId` (from the cause, else the origin) and `causationId` (the draft's, else the cause's id).
 * Does not validate `data`; the type system does for producers and the decoder does for consumers.
 */
export function createEvent<D extends AnyEventDraft>(draft: D, origin: EventOrigin): EventOf<D['type']> {
  const correlationId = origin.cause?.correlationId ?? origin.correlationId;
  if (!correlationId) throw new Error(`createEvent(${draft.type}): no correlationId and no cause`);
  return {
    id: draft.id ?? randomUUID(),
    type: draft.type,
    version: draft.version ?? latestVersion(draft.type),
    occurredAt: (origin.now ?? new Date()).toISOString(),
    source: origin.source,
    correlationId,
    causationId: draft.causationId ?? origin.cause?.id ?? null,
    orderId: draft.orderId,
    data: draft.data,
  } as unknown as EventOf<D['type']>;
}

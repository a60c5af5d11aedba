import type { ServiceName } from './envelope.js';
import type { EventType } from './events.js';

/**
 * A namespace prefixes every subject and stream name, so several stacks (or test files) can
 * share one NATS server without seeing each other's messages. The default, empty namespace
 * gives the contract subjects: `<type>.<orderId>`.
 */
export type Namespace = string;

function prefix(ns: Namespace | undefined): string {
  return ns ? `${ns}.` : '';
}

/** Subject of one event: `<type>.<orderId>` (the subject starts with the event type). */
export function subjectFor(event: { readonly type: string; readonly orderId: string }, ns?: Namespace): string {
  return `${prefix(ns)}${event.type}.${event.orderId}`;
}

/** Filter subject that matches every event of one type, whatever the order. */
export function subjectFilter(type: EventType, ns?: Namespace): string {
  return `${prefix(ns)}${type}.*`;
}

/** Recovers the event type from a subject (the inverse of `subjectFor`). */
export function typeOfSubject(subject: string, ns?: Namespace): string {
  const rest = ns && subject.startsWith(prefix(ns)) ? subject.slice(prefix(ns).length) : subject;
  const parts = rest.split('.');
  return parts.slice(0, 2).join('.');
}

/** A JetStream stream owned by one publishing service. */
export interface StreamDefinition {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly owner: ServiceName | 'dead-letters';
  readonly description: string;
}

const streamSpecs: readonly { owner: ServiceName; base: string; roots: readonly string[] }[] = [
  { owner: 'order', base: 'ORDER', roots: ['order'] },
  { owner: 'inventory', base: 'INVENTORY', roots: ['inventory'] },
  { owner: 'payment', base: 'PAYMENT', roots: ['payment'] },
  { owner: 'shipping', base: 'SHIPPING', roots: ['shipment'] },
  { owner: 'notification', base: 'NOTIFICATION', roots: ['notification'] },
];

function streamName(base: string, ns: Namespace | undefined): string {
  return ns ? `${base}_${ns.replace(/[^A-Za-z0-9_-]/g, '_')}` : base;
}

/** One stream per publishing service; each captures the subjects of the events it publishes. */
export function serviceStreams(ns?: Namespace): readonly StreamDefinition[] {
  return streamSpecs.map((s) => ({
    name: streamName(s.base, ns),
    subjects: s.roots.map((r) => `${prefix(ns)}${r}.>`),
    owner: s.owner,
    description: `Events published by the ${s.owner} service`,
  }));
}

/** The stream that owns the subjects of one service's events. */
export function streamOf(service: ServiceName, ns?: Namespace): StreamDefinition {
  const s = serviceStreams(ns).find((d) => d.owner === service);
  if (!s) throw new Error(`no stream for ${service}`);
  return s;
}

/** The stream an event type is published to. */
export function streamForType(type: EventType, ns?: Namespace): StreamDefinition {
  const root = type.split('.')[0] ?? '';
  const s = serviceStreams(ns).find((d) => d.subjects.some((subj) => subj === `${prefix(ns)}${root}.>`));
  if (!s) throw new Error(`no stream for ${type}`);
  return s;
}

/** Dead letters: messages a consumer could never process, with the error, for listing and replay. */
export function deadLetterStream(ns?: Namespace): StreamDefinition {
  return {
    name: streamName('DEAD_LETTERS', ns),
    subjects: [`${prefix(ns)}deadletter.>`],
    owner: 'dead-letters',
    description: 'Messages that could not be processed, with the original subject, headers and error',
  };
}

/** Subject a consumer's dead letters go to. */
export function deadLetterSubject(consumer: string, ns?: Namespace): string {
  return `${prefix(ns)}deadletter.${consumer}`;
}

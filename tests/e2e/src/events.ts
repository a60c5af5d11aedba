import { jetstreamManager } from '@nats-io/jetstream';
import { serviceStreams, type DomainEvent } from '@orderflow/contracts';
import { readStream } from '@orderflow/messaging/testing';
import type { Stack } from './stack.js';

/** Every event of one order in all five streams, oldest first (by occurredAt, then stream order). */
export async function eventsOfOrder(stack: Stack, orderId: string): Promise<DomainEvent[]> {
  const jsm = await jetstreamManager(stack.nc);
  const all: DomainEvent[] = [];
  for (const s of serviceStreams(stack.namespace)) {
    for (const m of await readStream(jsm, s.name)) if (m.event?.orderId === orderId) all.push(m.event);
  }
  return all.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
}

export function countOf(events: readonly DomainEvent[], type: DomainEvent['type']): number {
  return events.filter((e) => e.type === type).length;
}

import { describe, expect, it } from 'vitest';
import { exampleEvent, type AnyEventDraft, type DomainEvent } from '@orderflow/contracts';
import { silentLogger, type BatchHandlerContext } from '@orderflow/messaging';
import { sql } from 'drizzle-orm';
import { orderPlacedBatches, placedOnly, placedOrderReads } from '../src/placed-batch.js';

const placed = exampleEvent('order.placed');
const cancelled = exampleEvent('order.cancelled');

function route() {
  const calls: string[] = [];
  const handler = orderPlacedBatches<Record<string, never>>({
    single: async (_tx, event) => {
      calls.push(`single ${event.type}`);
      return [];
    },
    awaited: async (_tx, batch) => {
      calls.push(`awaited ${batch.length}`);
      return batch.map((): AnyEventDraft[] => []);
    },
    setBased: (batch, { read }) => {
      calls.push(`setBased ${batch.length} on ${read.length} reads`);
      return batch.map((): AnyEventDraft[] => []);
    },
  });
  const run = (events: DomainEvent[], read: BatchHandlerContext['read']) =>
    handler(events, { tx: undefined as never, now: new Date(), log: silentLogger, read, atCommit: () => undefined });
  return { calls, run };
}

describe('orderPlacedBatches', () => {
  it('runs a batch of order.placed set-based on what was read, awaited when nothing was, and one with a cancel event by event', async () => {
    const { calls, run } = route();
    expect(await run([placed, placed], [[], []])).toHaveLength(2);
    expect(await run([placed], [])).toHaveLength(1);
    expect(await run([placed, cancelled], [])).toHaveLength(2);
    expect(calls).toEqual(['setBased 2 on 2 reads', 'awaited 1', 'single order.placed', 'single order.cancelled']);
  });

  it('placedOnly: the events when all are order.placed, else undefined', () => {
    expect(placedOnly([placed])).toEqual([placed]);
    expect(placedOnly([placed, cancelled])).toBeUndefined();
    expect(placedOnly([])).toEqual([]);
  });

  it('placedOrderReads: the orders\' locks and states for a batch of order.placed, nothing for one with a cancel', () => {
    const reads = placedOrderReads({ statement: (ids) => sql`select ${ids.join(',')} as states` });
    const statements = reads([placed]);
    expect(statements).toHaveLength(2);
    expect(statements[0]!.sql).toContain('pg_advisory_xact_lock');
    expect(statements[1]).toEqual({ sql: 'select $1 as states', params: [placed.orderId] });
    expect(reads([placed, cancelled])).toEqual([]);
  });
});

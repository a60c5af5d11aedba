import { randomUUID } from 'node:crypto';
import type { AnyEventDraft, CancellationReason, DomainEvent, EventType } from '@orderflow/contracts';
import { PermanentError, type BatchEventHandler, type HandlerContext, type Logger, type ParameterizedQuery } from '@orderflow/messaging';
import { isPgError, renderSql, rowsOf } from '@orderflow/service-kit';
import {
  lockOrders,
  lockOrdersStatement,
  recordTimeline,
  timelineWrite,
  recordTimelineRows,
  recordTimelineRowsStatement,
  writeOrderStates,
  writeOrderStatesStatement,
  type Order,
  type OrderTx,
  type TimelineRow,
} from '../db/repository.js';
import { orders, type OrderSchema } from '../db/schema.js';
import { decideOrder, orderInputOf, timelineFact, type OrderDecision } from '../domain/order.js';

/**
 * Applies participant events to their orders, in the runner's transaction, with three
 * statements whatever their number (set-based: `ConsumerSpec.batchHandler`):
 *
 * 1. lock the orders the events decide on, in id order (a concurrent customer cancel or another
 *    consumer's batch waits; a fixed order, so two batches cannot deadlock);
 * 2. decide each event in turn with the pure state machine, on the order as the events before
 *    it in the batch left it;
 * 3. record every event on the timeline (once per fact, whatever the order's status) with the
 *    events emitted, write the orders' new state, and return `order.confirmed` /
 *    `order.cancelled` to be enqueued with it.
 *
 * Safe under redelivery and reordering: a duplicate of a fact finds the order already moved and
 * is ignored (its timeline insert is a no-op); an event for an order no longer PENDING is
 * ignored; a `shipment.scheduled` that overtook `inventory.reserved` leaves its tracking number on
 * the order, and the `inventory.reserved` that follows confirms it. Timeline-only events
 * (payment.authorized, notification.sent, the compensations) take no lock and no read (see
 * timelineOnlyWrites); the timeline's foreign key still refuses a foreign order.
 */
export async function applyEvents(
  events: readonly DomainEvent[],
  ctx: Pick<HandlerContext<OrderSchema>, 'tx' | 'now' | 'log'>,
): Promise<AnyEventDraft[][]> {
  const { tx, now, log } = ctx;
  const current = new Map((await lockOrders(tx, decidingOrders(events))).map((o) => [o.id, o]));
  const { results, timeline, changed } = decideEach(events, current, now, log);
  try {
    await recordTimelineRows(tx, timeline);
  } catch (err) {
    if (isPgError(err, '23503')) {
      const one = events.length === 1 ? events[0]! : undefined;
      throw new PermanentError(one ? `${one.type} ${one.id}: unknown order ${one.orderId}` : `one of ${events.length} events names an unknown order`);
    }
    throw err;
  }
  await writeOrderStates(tx, changed);
  return results;
}

/** The orders a batch's events decide on (timeline-only events decide nothing). */
function decidingOrders(events: readonly DomainEvent[]): string[] {
  return [...new Set(events.filter((e) => orderInputOf(e) !== null).map((e) => e.orderId))];
}

/**
 * Decides each event in turn on the order as the events before it left it (`current`, the
 * orders locked). Returns each event's drafts, the timeline rows to record and the orders whose
 * state changed.
 */
function decideEach(
  events: readonly DomainEvent[],
  current: Map<string, Order>,
  now: Date,
  log: Logger,
): { results: AnyEventDraft[][]; timeline: TimelineRow[]; changed: Order[] } {
  const changed = new Set<string>();
  const timeline: TimelineRow[] = [];
  const results = events.map((event) => {
    timeline.push(timelineEntry(event));
    const input = orderInputOf(event);
    if (input === null) return [];
    const order = current.get(event.orderId);
    // Every order starts here (the row commits before order.placed is even published), so an
    // event for an unknown order is not early: it is foreign. Park it in the dead letters.
    if (!order) throw new PermanentError(`${event.type} ${event.id}: unknown order ${event.orderId}`);
    const decision: OrderDecision = decideOrder(order, input);
    const next = decided(order, decision, now);
    if (next === order) {
      if (decision.kind === 'ignore' || decision.kind === 'refuse') log.debug({ orderId: order.id, type: event.type, why: decision.why }, 'event ignored');
      return [];
    }
    current.set(order.id, next);
    changed.add(order.id);
    const draft = emitted(order, decision);
    if (draft === undefined) return [];
    timeline.push(emittedEntry(draft, now));
    return [draft];
  });
  return { results, timeline, changed: [...changed].map((id) => current.get(id)!) };
}

/** `applyEvents` for one event: the consumers' single-event handler. */
export async function applyEvent(event: DomainEvent, ctx: Pick<HandlerContext<OrderSchema>, 'tx' | 'now' | 'log'>): Promise<AnyEventDraft[]> {
  return (await applyEvents([event], ctx))[0]!;
}

/**
 * A consumer's set-based handling of the events of `types` (others change nothing, as in the
 * consumers' single-event handlers), in two round trips whatever the batch: `reads` locks and
 * reads the orders the events decide on, with the transaction's `begin`; `batchHandler` decides each
 * event as `applyEvents` does and writes the timeline and the orders' new state at the commit.
 * A failure there (an unknown order's foreign key) rolls the batch back, and its events run one
 * by one through `applyEvent`, which tells which one.
 */
export function applyEventsOf(types: readonly EventType[]): {
  reads: (events: readonly DomainEvent[]) => ParameterizedQuery[];
  batchHandler: BatchEventHandler<OrderSchema>;
} {
  const handled = new Set<string>(types);
  const mine = (events: readonly DomainEvent[]) => events.filter((e) => handled.has(e.type));
  return {
    reads: (events) => {
      const ids = decidingOrders(mine(events));
      return ids.length === 0 ? [] : [renderSql(lockOrdersStatement(ids))];
    },
    batchHandler: async (events, { now, log, read, atCommit }) => {
      const own = mine(events);
      const current = new Map(rowsOf(orders, read[0] ?? []).map((o) => [o.id, o]));
      const { results, timeline, changed } = decideEach(own, current, now, log);
      if (timeline.length > 0) atCommit(renderSql(recordTimelineRowsStatement(timeline)));
      if (changed.length > 0) atCommit(renderSql(writeOrderStatesStatement(changed)));
      const drafts = new Map(own.map((e, k) => [e, results[k]!]));
      return events.map((e) => drafts.get(e) ?? []);
    },
  };
}

/** The order as a decision leaves it; the same object when the decision changes nothing. */
function decided(order: Order, decision: OrderDecision, now: Date): Order {
  switch (decision.kind) {
    case 'record-amount':
      return { ...order, amountCents: decision.amountCents, currency: decision.currency, updatedAt: now };
    case 'record-tracking':
      return { ...order, trackingNumber: decision.trackingNumber, updatedAt: now };
    case 'confirm': {
      const { trackingNumber, amountCents, currency } = decision;
      return { ...order, status: 'CONFIRMED', trackingNumber, amountCents, currency, updatedAt: now };
    }
    case 'cancel':
      return { ...order, status: 'CANCELLED', cancellationReason: decision.reason, updatedAt: now };
    case 'ignore':
    case 'refuse':
      return order;
    default: {
      const never: never = decision;
      throw new Error(`unhandled decision ${JSON.stringify(never)}`);
    }
  }
}

/** The event a decision emits, if any. */
function emitted(order: Order, decision: OrderDecision): AnyEventDraft | undefined {
  switch (decision.kind) {
    case 'confirm':
      return {
        id: randomUUID(),
        type: 'order.confirmed',
        orderId: order.id,
        data: {
          customerId: order.customerId,
          customerEmail: order.customerEmail,
          amountCents: decision.amountCents,
          currency: decision.currency,
          trackingNumber: decision.trackingNumber,
        },
      };
    case 'cancel':
      return cancelledDraft(order, decision.reason);
    default:
      return undefined;
  }
}

/**
 * The consumer runner's write-only fast path for events that only go on the timeline: their one,
 * idempotent, insert (the same as `applyEvent` makes), so a batch of them commits in one round
 * trip. `undefined` for events of other `types` and for those that need a decision. When the
 * insert fails (an unknown order's foreign key), the runner falls back to `applyEvent`, which
 * dead-letters the event.
 */
export function timelineOnlyWrites(types: readonly DomainEvent['type'][]) {
  const handled = new Set(types);
  return (event: DomainEvent) => (handled.has(event.type) && orderInputOf(event) === null ? [timelineWrite(timelineEntry(event))] : undefined);
}

function timelineEntry(event: DomainEvent): TimelineRow {
  return { orderId: event.orderId, fact: timelineFact(event), type: event.type, eventId: event.id, occurredAt: new Date(event.occurredAt) };
}

/** The `order.cancelled` of an order, with a fixed id so its timeline entry names it. */
export function cancelledDraft(order: Pick<Order, 'id' | 'customerId' | 'customerEmail'>, reason: CancellationReason): AnyEventDraft {
  return {
    id: randomUUID(),
    type: 'order.cancelled',
    orderId: order.id,
    data: { reason, customerId: order.customerId, customerEmail: order.customerEmail },
  };
}

/**
 * Puts an event we emit on the timeline. `occurredAt` is `now`: the runner and `enqueue` stamp
 * the envelope with the same instant.
 */
export async function recordEmitted(tx: OrderTx, draft: AnyEventDraft, now: Date): Promise<void> {
  await recordTimeline(tx, emittedEntry(draft, now));
}

function emittedEntry(draft: AnyEventDraft, now: Date): TimelineRow {
  if (draft.id === undefined) throw new Error('an emitted draft needs its id for the timeline');
  return { orderId: draft.orderId, fact: timelineFact(draft), type: draft.type, eventId: draft.id, occurredAt: now };
}

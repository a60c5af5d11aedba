// Turns traces and dead letters into text. Pure: the same input always prints the same lines.
import type { DomainEvent } from '@orderflow/contracts';
import type { DeadLetter } from '@orderflow/messaging';
import type { Trace, TracedEvent } from './trace.js';

/** First 8 characters of an id (a UUID's first group), or `-` for none. */
export function shortId(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '-';
}

function cell(value: string): string {
  // One table row per line, whatever the data holds.
  return value.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** Cuts `value` to `max` characters, ending in `…` when cut. */
export function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** Left-aligned columns two spaces apart; columns listed in `right` are right-aligned. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string[] {
  const all = [headers, ...rows].map((row) => row.map(cell));
  const widths = headers.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all.map((row) =>
    row
      .map((value, i) => (right.includes(i) ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function kv(key: string, value: string | number): string {
  const text = String(value);
  return `${key}=${/[\s"]/.test(text) || text === '' ? JSON.stringify(text) : text}`;
}

function lines(items: readonly { readonly sku: string; readonly quantity: number }[]): string {
  return kv('items', items.map((l) => `${l.sku}×${l.quantity}`).join(','));
}

/** The few fields of an event's data an operator looks for (reason, amount, tracking number...). */
export function keyData(event: DomainEvent): string {
  switch (event.type) {
    case 'order.placed':
      return [kv('customerId', event.data.customerId), lines(event.data.items), kv('country', event.data.shippingAddress.country)].join(' ');
    case 'order.confirmed':
      return [kv('amountCents', event.data.amountCents), kv('currency', event.data.currency), kv('trackingNumber', event.data.trackingNumber)].join(' ');
    case 'order.cancelled':
      return kv('reason', event.data.reason);
    case 'inventory.reserved':
      return [kv('amountCents', event.data.amountCents), kv('currency', event.data.currency), lines(event.data.lines)].join(' ');
    case 'inventory.rejected':
      return [kv('reason', event.data.reason), kv('skus', event.data.skus.join(','))].join(' ');
    case 'inventory.released':
      return lines(event.data.lines);
    case 'payment.authorized':
    case 'payment.refunded':
      return [kv('amountCents', event.data.amountCents), kv('currency', event.data.currency), kv('paymentId', shortId(event.data.paymentId))].join(' ');
    case 'payment.declined':
      return [kv('reason', event.data.reason), kv('amountCents', event.data.amountCents), kv('currency', event.data.currency)].join(' ');
    case 'shipment.scheduled':
    case 'shipment.cancelled':
      return [kv('trackingNumber', event.data.trackingNumber), kv('shipmentId', shortId(event.data.shipmentId))].join(' ');
    case 'shipment.failed':
      return [kv('reason', event.data.reason), kv('country', event.data.country)].join(' ');
    case 'notification.sent':
      return [kv('kind', event.data.kind), kv('channel', event.data.channel), kv('recipient', event.data.recipient)].join(' ');
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** One line of the causation tree. */
export interface TraceRow {
  readonly event: TracedEvent;
  /** 0 for a root (no cause, or a cause outside the trace), else its cause's depth + 1. */
  readonly depth: number;
  /** What goes before the event type: `''` for a root, else `│  `/`   ` per ancestor and `├─ `/`└─ `. */
  readonly branch: string;
  /** It names a cause that is not among the traced events. */
  readonly orphan: boolean;
  /** How many stored copies have this event id (more than 1: published again outside the duplicate window). */
  readonly copies: number;
}

function byTime(a: TracedEvent, b: TracedEvent): number {
  const t = Date.parse(a.event.occurredAt) - Date.parse(b.event.occurredAt);
  if (t !== 0) return t;
  return a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0;
}

/**
 * The causation tree, depth first: events sorted by `occurredAt`, each one listed under the
 * event its `causationId` names, siblings in time order. Roots are the events with no cause
 * (or a cause outside the trace). Copies of one event id are shown once.
 */
export function causalOrder(events: readonly TracedEvent[]): TraceRow[] {
  const sorted = [...events].sort(byTime);
  const first = new Map<string, TracedEvent>();
  const copies = new Map<string, number>();
  for (const e of sorted) {
    if (!first.has(e.event.id)) first.set(e.event.id, e);
    copies.set(e.event.id, (copies.get(e.event.id) ?? 0) + 1);
  }
  const unique = [...first.values()];
  const children = new Map<string, TracedEvent[]>();
  const roots: TracedEvent[] = [];
  for (const e of unique) {
    const cause = e.event.causationId;
    if (cause !== null && cause !== e.event.id && first.has(cause)) {
      children.set(cause, [...(children.get(cause) ?? []), e]);
    } else {
      roots.push(e);
    }
  }
  const rows: TraceRow[] = [];
  const seen = new Set<string>();
  const visit = (e: TracedEvent, depth: number, branch: string, continuation: string): void => {
    seen.add(e.event.id);
    const cause = e.event.causationId;
    rows.push({ event: e, depth, branch, orphan: cause !== null && !first.has(cause), copies: copies.get(e.event.id) ?? 1 });
    const next = (children.get(e.event.id) ?? []).filter((c) => !seen.has(c.event.id));
    next.forEach((child, i) => {
      const last = i === next.length - 1;
      visit(child, depth + 1, `${continuation}${last ? '└─ ' : '├─ '}`, `${continuation}${last ? '   ' : '│  '}`);
    });
  };
  for (const root of roots) visit(root, 0, '', '');
  // Only a causation cycle (corrupt data) leaves events unvisited; show them rather than hide them.
  for (const e of unique) if (!seen.has(e.event.id)) visit(e, 0, '', '');
  return rows;
}

/** `HH:MM:SS.mmm` (UTC) of an ISO instant. */
function clock(iso: string): string {
  return new Date(iso).toISOString().slice(11, 23);
}

/** The trace as a readable table (events, undecodable messages, dead letters). */
export function formatTrace(trace: Trace): string[] {
  const rows = causalOrder(trace.events);
  const out: string[] = [];
  const orders = [...new Set(rows.map((r) => r.event.event.orderId))];
  const correlations = [...new Set(rows.map((r) => r.event.event.correlationId))];
  const what = trace.matchedBy === 'orderId' ? `order ${trace.id}` : `correlation id ${trace.id}`;
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  out.push(`Trace of ${what}: ${count(rows.length, 'event')}, ${count(trace.deadLetters.length, 'dead letter')}`);
  if (trace.matchedBy === 'orderId' && correlations.length > 0) out.push(`correlation ids: ${correlations.join(', ')}`);
  if (trace.matchedBy === 'correlationId' && orders.length > 0) out.push(`orders: ${orders.join(', ')}`);
  const start = rows.length > 0 ? Math.min(...rows.map((r) => Date.parse(r.event.event.occurredAt))) : 0;
  if (rows.length > 0) {
    out.push(`first event at ${new Date(start).toISOString()} (times UTC)`, '');
    out.push(
      ...renderTable(
        ['TIME', '+MS', 'SOURCE', 'EVENT', 'ID', 'CAUSE', 'DATA'],
        rows.map(({ event: { event }, branch, orphan, copies }) => [
          clock(event.occurredAt),
          `+${Date.parse(event.occurredAt) - start}`,
          event.source,
          `${branch}${event.type}${copies > 1 ? ` (×${copies})` : ''}`,
          shortId(event.id),
          // `?`: the cause is not among these events.
          `${shortId(event.causationId)}${orphan ? '?' : ''}`,
          keyData(event),
        ]),
        [1],
      ),
    );
  }
  if (trace.undecodable.length > 0) {
    out.push('', `Messages that are not valid events (${trace.undecodable.length}):`);
    out.push(
      ...renderTable(
        ['STREAM', 'SEQ', 'SUBJECT', 'ERROR'],
        trace.undecodable.map((m) => [m.stream, String(m.seq), m.subject, truncate(m.error, 80)]),
        [1],
      ).map((line) => `  ${line}`),
    );
  }
  out.push('');
  if (trace.deadLetters.length === 0) {
    out.push('No dead letters.');
  } else {
    out.push(`Dead letters (${trace.deadLetters.length}) — npm run dead-letters -- replay <seq> | discard <seq>:`);
    out.push(...formatDeadLetters(trace.deadLetters));
  }
  if (trace.missingStreams.length > 0) out.push('', `Streams not found: ${trace.missingStreams.join(', ')}`);
  return out;
}

/** `--json`: one event per line, in causal order, as it was published. */
export function formatTraceJson(trace: Trace): string[] {
  return causalOrder(trace.events).map((row) => JSON.stringify(row.event.raw ?? row.event.event));
}

/** Dead letters as a table: seq, consumer, original subject, reason, error, deliveries, time. */
export function formatDeadLetters(deadLetters: readonly DeadLetter[]): string[] {
  return renderTable(
    ['SEQ', 'CONSUMER', 'SUBJECT', 'REASON', 'ERROR', 'DELIVERIES', 'TIME'],
    deadLetters.map((dl) => [
      String(dl.seq),
      dl.consumer,
      dl.originalSubject,
      dl.reason,
      truncate(dl.error, 60),
      String(dl.deliveries),
      dl.at,
    ]),
    [0, 5],
  );
}

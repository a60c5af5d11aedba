import { describe, expect, it } from 'vitest';
import { createEvent } from '@orderflow/contracts';
import type { DeadLetter } from '@orderflow/messaging';
import { causalOrder, formatDeadLetters, formatTrace, formatTraceJson, keyData, renderTable, shortId, truncate } from '../src/format.js';
import type { Trace } from '../src/trace.js';
import { chainEvents, declinedOrder, declinedOrderTree, traced } from './events.js';

function deadLetter(overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    seq: 7,
    reason: 'permanent',
    error: 'PermanentError: card network said no',
    originalSubject: 'payment.declined.0b6c0d2e',
    originalStream: 'PAYMENT',
    originalSequence: 3,
    consumer: 'order-payment-events',
    deliveries: 1,
    at: '2025-01-02T03:04:06.000Z',
    headers: {},
    data: new Uint8Array(),
    ...overrides,
  };
}

function trace(overrides: Partial<Trace> = {}): Trace {
  const chain = declinedOrder({ orderId: '0b6c0d2e-5f1a-4c3b-9d7e-112233445566', correlationId: 'demo-1' });
  return {
    id: chain.orderId,
    matchedBy: 'orderId',
    events: traced(chainEvents(chain)),
    undecodable: [],
    deadLetters: [],
    missingStreams: [],
    ...overrides,
  };
}

describe('causalOrder', () => {
  it('puts each event under its cause, siblings in time order', () => {
    const chain = declinedOrder();
    const rows = causalOrder(traced(chainEvents(chain)));
    expect(rows.map((r) => `${r.branch}${r.event.event.type}`)).toEqual(declinedOrderTree);
    expect(rows.map((r) => r.depth)).toEqual([0, 1, 2, 3, 4, 4]);
    expect(rows.every((r) => !r.orphan && r.copies === 1)).toBe(true);
  });

  it('keeps the bar of an ancestor that has later siblings', () => {
    const chain = declinedOrder();
    // A second answer to order.placed, after inventory's whole subtree began.
    const late = createEvent(
      { type: 'order.cancelled', orderId: chain.orderId, data: { reason: 'CANCELLED_BY_CUSTOMER', customerId: 'c', customerEmail: 'c@example.com' } },
      { source: 'order', cause: chain.placed, now: new Date(Date.parse(chain.placed.occurredAt) + 30) },
    );
    const rows = causalOrder(traced([chain.placed, chain.reserved, chain.declined, late]));
    expect(rows.map((r) => `${r.branch}${r.event.event.type}`)).toEqual([
      'order.placed',
      '├─ inventory.reserved',
      '│  └─ payment.declined',
      '└─ order.cancelled',
    ]);
  });

  it('makes an event whose cause is missing a root, marked orphan', () => {
    const chain = declinedOrder();
    const rows = causalOrder(traced([chain.declined, chain.cancelled, chain.placed]));
    expect(rows.map((r) => [r.event.event.type, r.depth, r.orphan])).toEqual([
      ['order.placed', 0, false],
      ['payment.declined', 0, true],
      ['order.cancelled', 1, false],
    ]);
  });

  it('shows copies of one event once, with their count', () => {
    const chain = declinedOrder();
    const rows = causalOrder(traced([chain.placed, chain.reserved, chain.placed]));
    expect(rows.map((r) => [r.event.event.type, r.copies])).toEqual([
      ['order.placed', 2],
      ['inventory.reserved', 1],
    ]);
  });

  it('still shows events caught in a causation cycle', () => {
    const chain = declinedOrder();
    const a = { ...chain.reserved, causationId: chain.declined.id };
    const rows = causalOrder(traced([a, chain.declined]));
    expect(rows).toHaveLength(2);
  });
});

describe('keyData', () => {
  it('shows what an operator looks for', () => {
    const chain = declinedOrder();
    expect(keyData(chain.placed)).toBe('customerId=c-42 items=KEYBOARD-01×1 country=GB');
    expect(keyData(chain.reserved)).toBe('amountCents=8900 currency=EUR items=KEYBOARD-01×1');
    expect(keyData(chain.declined)).toBe('reason=PAYMENT_DECLINED amountCents=8900 currency=EUR');
    expect(keyData(chain.cancelled)).toBe('reason=PAYMENT_DECLINED');
    expect(keyData(chain.notified)).toBe('kind=order.cancelled channel=log recipient=ada@example.com');
  });

  it('quotes a value with spaces', () => {
    const chain = declinedOrder();
    const placed = { ...chain.placed, data: { ...chain.placed.data, customerId: 'Ada L' } };
    expect(keyData(placed)).toMatch(/^customerId="Ada L" /);
  });
});

describe('formatTrace', () => {
  it('prints time, +ms, source, the indented type, short ids and key data', () => {
    const t = trace();
    const [placed, reserved] = [t.events.find((e) => e.event.type === 'order.placed')!, t.events.find((e) => e.event.type === 'inventory.reserved')!];
    const text = formatTrace(t);
    expect(text.slice(0, 4)).toEqual([
      'Trace of order 0b6c0d2e-5f1a-4c3b-9d7e-112233445566: 6 events, 0 dead letters',
      'correlation ids: demo-1',
      'first event at 2025-01-02T03:04:05.000Z (times UTC)',
      '',
    ]);
    expect(text[4]).toBe('TIME          +MS  SOURCE        EVENT                           ID        CAUSE     DATA');
    expect(text[5]).toBe(
      `03:04:05.000   +0  order         order.placed                    ${shortId(placed.event.id)}  -         customerId=c-42 items=KEYBOARD-01×1 country=GB`,
    );
    expect(text[6]).toBe(
      `03:04:05.020  +20  inventory     └─ inventory.reserved           ${shortId(reserved.event.id)}  ${shortId(placed.event.id)}  amountCents=8900 currency=EUR items=KEYBOARD-01×1`,
    );
    expect(text.slice(7, 11).map((l) => l.slice(0, 64).trimEnd())).toEqual([
      '03:04:05.045  +45  payment          └─ payment.declined',
      '03:04:05.060  +60  order               └─ order.cancelled',
      '03:04:05.080  +80  inventory              ├─ inventory.released',
      '03:04:05.095  +95  notification           └─ notification.sent',
    ]);
    expect(text.slice(11)).toEqual(['', 'No dead letters.']);
  });

  it('lists dead letters, messages that are not events, and missing streams', () => {
    const text = formatTrace(
      trace({
        deadLetters: [deadLetter()],
        undecodable: [{ stream: 'ORDER', seq: 9, subject: 'order.placed.x', error: 'body is not JSON' }],
        missingStreams: ['SHIPPING'],
      }),
    );
    expect(text[0]).toMatch(/6 events, 1 dead letter$/);
    expect(text.join('\n')).toContain('Messages that are not valid events (1):\n  STREAM  SEQ  SUBJECT         ERROR\n  ORDER     9  order.placed.x  body is not JSON');
    expect(text.join('\n')).toContain('Dead letters (1) — npm run dead-letters -- replay <seq> | discard <seq>:\nSEQ  CONSUMER');
    expect(text.at(-1)).toBe('Streams not found: SHIPPING');
  });

  it('names the orders of a correlation id', () => {
    const text = formatTrace(trace({ id: 'demo-1', matchedBy: 'correlationId' }));
    expect(text[0]).toBe('Trace of correlation id demo-1: 6 events, 0 dead letters');
    expect(text[1]).toBe('orders: 0b6c0d2e-5f1a-4c3b-9d7e-112233445566');
  });
});

describe('formatTraceJson', () => {
  it('prints one raw event per line in causal order', () => {
    const lines = formatTraceJson(trace());
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual([
      'order.placed',
      'inventory.reserved',
      'payment.declined',
      'order.cancelled',
      'inventory.released',
      'notification.sent',
    ]);
  });
});

describe('formatDeadLetters', () => {
  it('prints seq, consumer, subject, reason, error, deliveries and time', () => {
    expect(formatDeadLetters([deadLetter(), deadLetter({ seq: 12, reason: 'exhausted', deliveries: 10, error: 'x'.repeat(100) })])).toEqual([
      'SEQ  CONSUMER              SUBJECT                    REASON     ERROR                                                         DELIVERIES  TIME',
      '  7  order-payment-events  payment.declined.0b6c0d2e  permanent  PermanentError: card network said no                                   1  2025-01-02T03:04:06.000Z',
      ` 12  order-payment-events  payment.declined.0b6c0d2e  exhausted  ${'x'.repeat(59)}…          10  2025-01-02T03:04:06.000Z`,
    ]);
  });
});

describe('renderTable and truncate', () => {
  it('aligns columns, right-aligns the ones asked, keeps one line per row', () => {
    expect(renderTable(['A', 'N'], [['x\ny', '1'], ['long', '100']], [1])).toEqual(['A       N', 'x y     1', 'long  100']);
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});

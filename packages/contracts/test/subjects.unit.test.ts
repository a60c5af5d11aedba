import { describe, expect, it } from 'vitest';
import {
  deadLetterStream,
  deadLetterSubject,
  eventCatalog,
  eventTypes,
  serviceStreams,
  streamForType,
  streamOf,
  subjectFilter,
  subjectFor,
  typeOfSubject,
} from '@orderflow/contracts';

const orderId = '2b1f6a64-9a2d-4e0c-8a51-0c5d2b3a7e10';

/** NATS subject matching: `*` one token, `>` one or more trailing tokens. */
function matches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

/** Whether two filters can match a common subject. */
function overlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === '>' || y[i] === '>') return x[i] !== undefined && y[i] !== undefined;
    if (x[i] === undefined || y[i] === undefined) return false;
    if (x[i] !== '*' && y[i] !== '*' && x[i] !== y[i]) return false;
  }
  return true;
}

describe('subjects', () => {
  it.each([undefined, 'test_ns', 'ci.run42'])('subjectFor and typeOfSubject are inverse (namespace %s)', (ns) => {
    for (const type of eventTypes) {
      const subject = subjectFor({ type, orderId }, ns);
      expect(subject).toBe(`${ns ? `${ns}.` : ''}${type}.${orderId}`);
      expect(typeOfSubject(subject, ns)).toBe(type);
      expect(matches(subjectFilter(type, ns), subject)).toBe(true);
    }
  });

  it('gives the contract subject without a namespace: the subject starts with the type', () => {
    expect(subjectFor({ type: 'order.placed', orderId })).toBe(`order.placed.${orderId}`);
    expect(subjectFilter('payment.declined')).toBe('payment.declined.*');
  });

  it('does not match another type with a type filter', () => {
    expect(matches(subjectFilter('order.placed'), subjectFor({ type: 'order.cancelled', orderId }))).toBe(false);
  });
});

describe('streams', () => {
  it.each([undefined, 'test_ns'])('map every event type to exactly one stream, its publisher\'s (namespace %s)', (ns) => {
    const streams = serviceStreams(ns);
    for (const type of eventTypes) {
      const subject = subjectFor({ type, orderId }, ns);
      const capturing = streams.filter((s) => s.subjects.some((f) => matches(f, subject)));
      expect(capturing.map((s) => s.name)).toEqual([streamForType(type, ns).name]);
      const publisher = eventCatalog.find((e) => e.type === type)!.source;
      expect(streamForType(type, ns)).toEqual(streamOf(publisher, ns));
    }
  });

  it('have subjects that do not overlap, dead letters included', () => {
    for (const ns of [undefined, 'test_ns']) {
      const filters = [...serviceStreams(ns), deadLetterStream(ns)].flatMap((s) => s.subjects.map((f) => ({ f, name: s.name })));
      for (const a of filters) {
        for (const b of filters) {
          if (a !== b) expect(overlap(a.f, b.f), `${a.f} (${a.name}) overlaps ${b.f} (${b.name})`).toBe(false);
        }
      }
      expect(matches(deadLetterStream(ns).subjects[0]!, deadLetterSubject('payment-inventory-reserved', ns))).toBe(true);
    }
  });

  it('have one stream per publishing service with unique names', () => {
    const names = serviceStreams().map((s) => s.name);
    expect(names).toEqual(['ORDER', 'INVENTORY', 'PAYMENT', 'SHIPPING', 'NOTIFICATION']);
    expect(new Set(names).size).toBe(names.length);
  });

  it('get different names, and different subjects, in different namespaces', () => {
    const all = [undefined, 'a', 'b', 'ci.run42'].map((ns) => [...serviceStreams(ns), deadLetterStream(ns)]);
    const names = all.flat().map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]+$/); // no '.', '*', '>' or spaces
    const plain = serviceStreams().flatMap((s) => s.subjects);
    const namespaced = serviceStreams('a').flatMap((s) => s.subjects);
    for (const p of plain) for (const n of namespaced) expect(overlap(p, n)).toBe(false);
  });
});

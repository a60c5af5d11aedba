import { describe, expect, it } from 'vitest';
import { checkBackwardCompatibility, type JsonSchema } from '@orderflow/contracts';

/** Messages only (paths are checked where they matter). */
function breaks(previous: JsonSchema, current: JsonSchema): string[] {
  return checkBackwardCompatibility(previous, current).issues.map((i) => `${i.path}: ${i.message}`);
}

function compatible(previous: JsonSchema, current: JsonSchema): boolean {
  return checkBackwardCompatibility(previous, current).compatible;
}

const obj = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties), extra?: boolean) => ({
  type: 'object',
  properties,
  required,
  ...(extra === undefined ? {} : { additionalProperties: extra }),
});
const str = { type: 'string' };

describe('checkBackwardCompatibility', () => {
  it('accepts an identical schema and ignores annotations', () => {
    const s = obj({ a: str });
    expect(compatible(s, structuredClone(s))).toBe(true);
    expect(compatible(s, { ...s, description: 'now documented', title: 'x' })).toBe(true);
  });

  describe('objects', () => {
    it('breaks on a new required property', () => {
      const r = checkBackwardCompatibility(obj({ a: str }), obj({ a: str, b: str }));
      expect(r.compatible).toBe(false);
      expect(r.issues).toEqual([{ path: 'b', message: expect.stringContaining('now required') }]);
    });

    it('accepts a new optional property', () => {
      expect(compatible(obj({ a: str }), obj({ a: str, b: str }, ['a']))).toBe(true);
    });

    it('accepts a property that is no longer required, or removed from an open object', () => {
      expect(compatible(obj({ a: str, b: str }), obj({ a: str, b: str }, ['a']))).toBe(true);
      expect(compatible(obj({ a: str, b: str }), obj({ a: str }))).toBe(true);
    });

    it('breaks when a removed property is rejected by additionalProperties: false', () => {
      expect(breaks(obj({ a: str, b: str }, ['a'], false), obj({ a: str }, ['a'], false))).toEqual([
        expect.stringMatching(/^b: property removed/),
      ]);
    });

    it('breaks when additionalProperties is tightened, not when it is relaxed', () => {
      expect(breaks(obj({ a: str }), obj({ a: str }, ['a'], false))).toEqual([
        expect.stringContaining('additionalProperties tightened'),
      ]);
      expect(compatible(obj({ a: str }, ['a'], false), obj({ a: str }))).toBe(true);
      expect(compatible(obj({ a: str }, ['a'], false), obj({ a: str, b: { type: 'integer' } }, ['a'], false))).toBe(true);
    });

    it('checks nested properties and array items with their path', () => {
      const previous = obj({ lines: { type: 'array', items: obj({ qty: { type: 'integer', minimum: 1 } }) } });
      const current = obj({ lines: { type: 'array', items: obj({ qty: { type: 'integer', minimum: 2 } }) } });
      const r = checkBackwardCompatibility(previous, current);
      expect(r.issues).toEqual([{ path: 'lines[].qty', message: expect.stringContaining('lower bound raised') }]);
    });

    it('checks a record (schema-valued additionalProperties) against a newly declared property', () => {
      const record = { type: 'object', additionalProperties: { type: 'integer' } };
      expect(compatible(record, { ...record, properties: { n: { type: 'number' } } })).toBe(true);
      expect(compatible(record, { ...record, properties: { n: { type: 'string' } } })).toBe(false);
    });
  });

  describe('types', () => {
    it('breaks on a changed or narrowed type, accepts a widened one', () => {
      expect(breaks(str, { type: 'number' })).toEqual(['(root): type changed from string to number']);
      expect(compatible({ type: 'number' }, { type: 'integer' })).toBe(false);
      expect(compatible({ type: 'integer' }, { type: 'number' })).toBe(true);
      expect(compatible(str, { type: ['string', 'null'] })).toBe(true);
      expect(compatible(str, { anyOf: [str, { type: 'null' }] })).toBe(true);
      expect(compatible({}, str)).toBe(false);
    });

    it('breaks when null is no longer accepted', () => {
      const nullable = { anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }] };
      expect(breaks(nullable, { type: 'string', minLength: 1 })).toEqual(['(root): type null is no longer accepted']);
      expect(compatible({ type: ['string', 'null'] }, nullable)).toBe(false); // '' is no longer accepted
      expect(compatible({ type: ['string', 'null'], minLength: 1 }, nullable)).toBe(true);
    });

    it('checks each old branch of a union', () => {
      const previous = { anyOf: [{ type: 'integer', minimum: 0 }, str] };
      expect(compatible(previous, { anyOf: [str, { type: 'number' }] })).toBe(true);
      expect(compatible(previous, { anyOf: [str, { type: 'integer', minimum: 1 }] })).toBe(false);
    });
  });

  describe('enum and const', () => {
    it('breaks when an enum value is removed, accepts a widened enum', () => {
      const e = { type: 'string', enum: ['A', 'B'] };
      expect(breaks(e, { type: 'string', enum: ['A'] })).toEqual(['(root): value "B" removed from the enum']);
      expect(compatible(e, { type: 'string', enum: ['A', 'B', 'C'] })).toBe(true);
      expect(compatible(e, str)).toBe(true);
    });

    it('breaks when a const changes or an enum is added to an open string', () => {
      expect(breaks({ type: 'string', const: 'A' }, { type: 'string', const: 'B' })).toEqual([
        '(root): const changed from "A" to "B"',
      ]);
      expect(compatible(str, { type: 'string', enum: ['A'] })).toBe(false);
      expect(compatible({ const: 'A' }, { type: 'string', enum: ['A', 'B'] })).toBe(true);
    });

    it('tests enumerated old values against new constraints directly', () => {
      const e = { type: 'string', enum: ['AB', 'CD'] };
      expect(compatible(e, { type: 'string', pattern: '^[A-Z]{2}$' })).toBe(true);
      expect(compatible(e, { type: 'string', maxLength: 1 })).toBe(false);
      expect(compatible({ enum: [1, 2] }, { type: 'integer', maximum: 2 })).toBe(true);
      expect(compatible({ enum: [1, 2.5] }, { type: 'integer' })).toBe(false);
    });
  });

  describe('strings', () => {
    it('breaks on a new or changed pattern or format, accepts a removed one', () => {
      expect(compatible(str, { type: 'string', pattern: '^a' })).toBe(false);
      expect(compatible({ type: 'string', pattern: '^a' }, { type: 'string', pattern: '^b' })).toBe(false);
      expect(compatible({ type: 'string', pattern: '^a' }, str)).toBe(true);
      expect(compatible(str, { type: 'string', format: 'email' })).toBe(false);
      expect(compatible({ type: 'string', format: 'email' }, str)).toBe(true);
    });

    it('breaks on stricter lengths, accepts relaxed ones', () => {
      const s = { type: 'string', minLength: 1, maxLength: 10 };
      expect(compatible(s, { type: 'string', minLength: 2, maxLength: 10 })).toBe(false);
      expect(compatible(s, { type: 'string', minLength: 1, maxLength: 9 })).toBe(false);
      expect(compatible(s, { type: 'string', minLength: 0, maxLength: 20 })).toBe(true);
      expect(compatible(str, { type: 'string', maxLength: 20 })).toBe(false);
    });

    it('handles several patterns expressed as allOf', () => {
      const two = { type: 'string', allOf: [{ pattern: '^a' }, { pattern: 'z$' }] };
      expect(compatible(two, structuredClone(two))).toBe(true);
      expect(compatible(two, { type: 'string', pattern: '^a' })).toBe(true);
      expect(compatible({ type: 'string', pattern: '^a' }, two)).toBe(false);
    });
  });

  describe('numbers', () => {
    it('compares inclusive and exclusive bounds', () => {
      const n = { type: 'number', minimum: 0, maximum: 10 };
      expect(compatible(n, { type: 'number', exclusiveMinimum: 0 })).toBe(false);
      expect(compatible({ type: 'number', exclusiveMinimum: 0 }, { type: 'number', minimum: 0 })).toBe(true);
      expect(compatible(n, { type: 'number', maximum: 9 })).toBe(false);
      expect(compatible(n, { type: 'number', minimum: -1, maximum: 11 })).toBe(true);
    });

    it('treats > 0 and >= 1 as the same bound for integers', () => {
      expect(compatible({ type: 'integer', minimum: 1 }, { type: 'integer', exclusiveMinimum: 0 })).toBe(true);
      expect(compatible({ type: 'integer', exclusiveMinimum: 0 }, { type: 'integer', minimum: 1 })).toBe(true);
      expect(compatible({ type: 'number', exclusiveMinimum: 0 }, { type: 'number', minimum: 1 })).toBe(false);
    });

    it('checks multipleOf', () => {
      expect(compatible({ type: 'integer', multipleOf: 10 }, { type: 'integer', multipleOf: 5 })).toBe(true);
      expect(compatible({ type: 'integer', multipleOf: 5 }, { type: 'integer', multipleOf: 10 })).toBe(false);
      expect(compatible({ type: 'integer' }, { type: 'number', multipleOf: 1 })).toBe(true);
      expect(compatible({ type: 'number' }, { type: 'number', multipleOf: 0.5 })).toBe(false);
    });
  });

  describe('arrays', () => {
    it('checks item counts, uniqueness and items', () => {
      const a = { type: 'array', items: str, minItems: 1 };
      expect(compatible(a, { type: 'array', items: str, minItems: 2 })).toBe(false);
      expect(compatible(a, { type: 'array', items: str, maxItems: 5 })).toBe(false);
      expect(compatible(a, { type: 'array', items: str, uniqueItems: true })).toBe(false);
      expect(compatible(a, { type: 'array', items: {} })).toBe(true);
      expect(compatible(a, { type: 'array', items: { type: 'number' } })).toBe(false);
    });
  });

  describe('soundness for what it does not analyse', () => {
    it('treats a change of an unanalysed keyword as breaking, and an unchanged one as fine', () => {
      const oneOf = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
      expect(compatible(oneOf, structuredClone(oneOf))).toBe(true);
      expect(compatible(str, { oneOf: [str, { type: 'integer' }] })).toBe(false);
      expect(compatible(str, { type: 'string', not: { const: 'x' } })).toBe(false);
      expect(compatible({ $ref: '#/definitions/a' }, { $ref: '#/definitions/b' })).toBe(false);
      // Same $ref, changed definition behind it.
      const ref = (t: string) => ({ properties: { x: { $ref: '#/definitions/a' } }, definitions: { a: { type: t } } });
      expect(compatible(ref('string'), ref('string'))).toBe(true);
      expect(compatible(ref('string'), ref('number'))).toBe(false);
    });

    it('handles boolean schemas', () => {
      expect(compatible(false, str)).toBe(true);
      expect(compatible(str, true)).toBe(true);
      expect(compatible(true, str)).toBe(false);
      expect(breaks(str, false)).toEqual(['(root): the schema now rejects every value']);
    });
  });
});

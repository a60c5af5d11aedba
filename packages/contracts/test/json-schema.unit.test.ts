import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JSON_SCHEMA_DRAFT, toEventJsonSchema } from '@orderflow/contracts';

describe('toEventJsonSchema', () => {
  it('emits draft-07 with zod input semantics: open objects', () => {
    const s = toEventJsonSchema(z.object({ a: z.string(), b: z.number().optional() }));
    expect(s).toEqual({
      $schema: JSON_SCHEMA_DRAFT,
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' } },
      required: ['a'],
    });
    expect(toEventJsonSchema(z.strictObject({ a: z.string() }))).toHaveProperty('additionalProperties', false);
  });

  it('keeps the format of uuid, email and date-time but not zod\'s regex for it', () => {
    const s = toEventJsonSchema(
      // z.string().email() (deprecated check form) must behave like z.email().
      z.object({ id: z.uuid(), email: z.email(), at: z.iso.datetime({ offset: true }), legacy: z.string().email() }),
    );
    expect(s.properties).toEqual({
      id: { type: 'string', format: 'uuid' },
      email: { type: 'string', format: 'email' },
      at: { type: 'string', format: 'date-time' },
      legacy: { type: 'string', format: 'email' },
    });
  });

  it('keeps patterns of its own, and the format regex when zod cannot emit the format', () => {
    expect(toEventJsonSchema(z.string().regex(/^[A-Z]{3}$/))).toMatchObject({ pattern: '^[A-Z]{3}$' });
    // zod drops `format` when a format also has a .regex(); its regex is then the only contract left.
    const both = toEventJsonSchema(z.email().regex(/@example\.com$/));
    expect(both.format).toBeUndefined();
    expect(JSON.stringify(both).match(/"pattern"/g)).toHaveLength(2);
  });
});

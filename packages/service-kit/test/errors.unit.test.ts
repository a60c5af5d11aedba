import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConflictError,
  isConflictError,
  isNotFoundError,
  isPgError,
  isValidationError,
  NotFoundError,
  toHttpError,
  ValidationError,
} from '../src/index.js';

describe('error classes', () => {
  it('carry name, message and cause, and are recognised by their guards only', () => {
    const cause = new Error('db said no');
    const errors = [new ValidationError('bad', { cause }), new NotFoundError('gone', { cause }), new ConflictError('clash', { cause })];
    expect(errors.map((e) => e.name)).toEqual(['ValidationError', 'NotFoundError', 'ConflictError']);
    expect(errors.every((e) => e.cause === cause)).toBe(true);
    expect(errors.map((e) => [isValidationError(e), isNotFoundError(e), isConflictError(e)])).toEqual([
      [true, false, false],
      [false, true, false],
      [false, false, true],
    ]);
    expect(isValidationError(new Error('ValidationError'))).toBe(false);
    expect(isNotFoundError(undefined)).toBe(false);
  });

  it('ValidationError turns a field into a single issue', () => {
    expect(new ValidationError('unknown sku', { field: 'items.1.sku' }).issues).toEqual([{ path: 'items.1.sku', message: 'unknown sku' }]);
    expect(new ValidationError('bad').issues).toEqual([]);
  });

  it('guards do not rely on instanceof (a second copy of the package)', () => {
    const foreign = Object.create(null) as object;
    Object.defineProperty(foreign, Symbol.for('orderflow.service-kit.NotFoundError'), { value: true });
    expect(isNotFoundError(foreign)).toBe(true);
  });
});

describe('toHttpError', () => {
  it('maps a Fastify schema validation failure to 400 naming the field', () => {
    const err = Object.assign(new Error('body/items/0/quantity Too small'), {
      statusCode: 400,
      code: 'FST_ERR_VALIDATION',
      validationContext: 'body',
      validation: [{ instancePath: '/items/0/quantity', message: 'Too small: expected number to be >0' }],
    });
    expect(toHttpError(err)).toEqual({
      statusCode: 400,
      logLevel: 'warn',
      body: {
        error: 'VALIDATION_FAILED',
        message: 'invalid body: items.0.quantity: Too small: expected number to be >0',
        issues: [{ path: 'items.0.quantity', message: 'Too small: expected number to be >0' }],
      },
    });
  });

  it('maps a ZodError and a ValidationError to 400', () => {
    const zodError = z.object({ email: z.email() }).safeParse({ email: 'nope' }).error;
    expect(toHttpError(zodError).statusCode).toBe(400);
    expect(toHttpError(zodError).body.issues?.[0]?.path).toBe('email');
    const mapped = toHttpError(new ValidationError('quantity must be at most 100', { field: 'items.0.quantity' }));
    expect(mapped.statusCode).toBe(400);
    expect(mapped.body.issues).toEqual([{ path: 'items.0.quantity', message: 'quantity must be at most 100' }]);
  });

  it('maps NotFoundError to 404 and ConflictError to 409 with their messages', () => {
    expect(toHttpError(new NotFoundError('order o-1 not found'))).toMatchObject({
      statusCode: 404,
      body: { error: 'NOT_FOUND', message: 'order o-1 not found' },
    });
    expect(toHttpError(new ConflictError('already cancelled'))).toMatchObject({
      statusCode: 409,
      body: { error: 'CONFLICT', message: 'already cancelled' },
    });
  });

  it("keeps Fastify's client errors: invalid JSON 400, body too large 413", () => {
    const invalidJson = Object.assign(new Error("Body is not valid JSON but content-type is set to 'application/json'"), {
      statusCode: 400,
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
    });
    expect(toHttpError(invalidJson)).toMatchObject({ statusCode: 400, body: { error: 'INVALID_JSON' } });
    const tooLarge = Object.assign(new RangeError('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(toHttpError(tooLarge)).toMatchObject({ statusCode: 413, body: { error: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' } });
  });

  it('hides the detail of anything else behind a 500', () => {
    const mapped = toHttpError(new Error('connect ECONNREFUSED 10.0.0.7:5432'));
    expect(mapped).toEqual({ statusCode: 500, logLevel: 'error', body: { error: 'INTERNAL', message: 'internal error' } });
    expect(toHttpError('a string').statusCode).toBe(500);
    expect(toHttpError(Object.assign(new Error('x'), { statusCode: 503 })).statusCode).toBe(500);
  });

  it('does not show messages of non-Fastify 4xx errors', () => {
    const err = Object.assign(new Error('secret detail'), { statusCode: 404 });
    expect(toHttpError(err).body).toEqual({ error: 'NOT_FOUND', message: 'not found' });
  });
});

describe('isPgError', () => {
  it('finds the SQLSTATE on the error or on the error it wraps (drizzle keeps the driver error as cause)', () => {
    const pgErr = Object.assign(new Error('insert or update violates foreign key'), { code: '23503' });
    expect(isPgError(pgErr, '23503')).toBe(true);
    expect(isPgError(new Error('Failed query', { cause: pgErr }), '23503')).toBe(true);
    expect(isPgError(new Error('Failed query', { cause: pgErr }), '23505')).toBe(false);
    expect(isPgError('23503', '23503')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseEnvSchema, EnvError, parseEnv, portSchema } from '../src/index.js';

const serviceSchema = baseEnvSchema.extend({ PORT: portSchema.default(3001), RELAY_BATCH: z.coerce.number().int().positive().default(100) });

describe('parseEnv', () => {
  it('applies defaults and coerces numbers into a frozen object', () => {
    const env = parseEnv(serviceSchema, { DATABASE_URL: 'postgres://u:p@db:5432/inventory', RELAY_BATCH: '50' });
    expect(env).toEqual({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: 3001,
      NATS_URL: 'nats://127.0.0.1:4222',
      DATABASE_URL: 'postgres://u:p@db:5432/inventory',
      CONSUMER_LINGER_MS: 10,
      CONSUMER_SHARED_TRANSACTIONS: 1,
      NATS_NAMESPACE: '',
      RELAY_BATCH: 50,
    });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('treats empty strings as unset, so defaults apply', () => {
    const env = parseEnv(serviceSchema, { DATABASE_URL: 'postgres://db/x', PORT: '', NATS_URL: '' });
    expect(env.PORT).toBe(3001);
    expect(env.NATS_URL).toBe('nats://127.0.0.1:4222');
  });

  it('names every missing or invalid variable in one error, without echoing values', () => {
    let caught: unknown;
    try {
      parseEnv(baseEnvSchema, { PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://root:s3cret@db/x' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EnvError);
    const error = caught as EnvError;
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
    expect(error.message).toContain('DATABASE_URL: must be a postgres:// URL');
    expect(error.message).not.toContain('s3cret');
  });

  it('says "missing" for a required variable that is absent', () => {
    expect(() => parseEnv(baseEnvSchema, {})).toThrow(/PORT: missing[\s\S]*DATABASE_URL: missing|DATABASE_URL: missing[\s\S]*PORT: missing/);
  });

  it('reads process.env by default', () => {
    const schema = z.object({ PATH: z.string() });
    expect(parseEnv(schema).PATH).toBe(process.env['PATH']);
  });
});

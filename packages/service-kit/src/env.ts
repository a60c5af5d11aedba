import { z } from 'zod';

/** A TCP port from an env string (`"3000"` → 3000); 0 asks the OS for a free one. */
export const portSchema = z.coerce.number().int().min(0).max(65_535);

/** pino levels, plus `silent`. */
export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A `postgres://` or `postgresql://` connection URL. */
export const postgresUrlSchema = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL')
  .refine((value) => URL.canParse(value), 'must be a valid URL');

/**
 * What every service reads. Extend it with the service's own variables and its default port:
 * `parseEnv(baseEnvSchema.extend({ PORT: portSchema.default(3001) }))`.
 */
export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: logLevelSchema.default('info'),
  /** Required here because each service has its own default; see above. */
  PORT: portSchema,
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  DATABASE_URL: postgresUrlSchema,
  /**
   * The least time between the starts of two transactions of one consumer (the consumer runner's
   * `lingerMs`): under load, what arrives meanwhile joins the next transaction; an event after a
   * quiet spell is not held back. 0 turns it off. Why 10 ms: docs/performance.md, tenth pass
   * (at 125 orders/s the bench's p99 was about half of that without it in three of four pairs).
   */
  CONSUMER_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(10),
  /**
   * Transactions in flight at once that a service's consumers share (messaging's
   * `createSharedTransactions`): each consumer's batch joins the others' waiting batches, so a
   * service with several consumers pays one begin, commit and pair of round trips for all of them.
   * 0: each consumer runs transactions of its own. Why: docs/performance.md, eleventh pass.
   */
  CONSUMER_SHARED_TRANSACTIONS: z.coerce.number().int().min(0).max(8).default(1),
  /**
   * Prefix for stream and durable consumer names, so several stacks (or test runs) share one
   * NATS server without seeing each other's messages. Empty in production.
   */
  NATS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'only letters, digits, _ and - (it becomes part of stream names)')
    .default(''),
});

/** The parsed {@link baseEnvSchema}. */
export type BaseEnv = z.output<typeof baseEnvSchema>;

/** An environment-like source; `process.env` by default. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Parses the environment once, at startup, into a frozen typed object. On failure it throws a
 * single error naming every missing or invalid variable, so a misconfigured deployment is fixed
 * in one round instead of one variable per crash. Values never appear in the message: they may
 * be secrets (passwords inside DATABASE_URL).
 *
 * Empty strings count as unset (`PORT=` in a compose file means "no value"), so defaults apply.
 *
 * @param schema a zod object schema, usually `baseEnvSchema.extend({...})`
 * @param source defaults to `process.env`; the only place in a service that reads it
 */
export function parseEnv<S extends z.ZodType<object>>(schema: S, source: EnvSource = process.env): Readonly<z.output<S>> {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return Object.freeze(result.data);
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.map(String).join('.');
    if (name === '') return issue.message;
    return cleaned[name] === undefined ? `${name}: missing` : `${name}: ${issue.message}`;
  });
  throw new EnvError([...new Set(problems)]);
}

/** Thrown by {@link parseEnv}; `problems` has one line per bad variable. */
export class EnvError extends Error {
  override readonly name = 'EnvError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid environment:\n  ${problems.join('\n  ')}`);
  }
}

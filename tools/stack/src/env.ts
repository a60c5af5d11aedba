import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The repository root (this file is tools/stack/src/env.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const port = z.coerce.number().int().min(1).max(65_535);

/**
 * What the runner reads. Everything else in the environment (LOG_LEVEL, SMTP_URL, SMTP_FROM,
 * NATS_NAMESPACE, PATH...) is passed through to the services untouched; they validate it.
 */
export const envSchema = z.object({
  /** A running NATS with JetStream; unset: the runner starts nats-server (data in .data/nats). */
  NATS_URL: z.string().min(1).optional(),
  /**
   * An ADMIN Postgres URL (a role that may CREATE DATABASE): the runner creates the five
   * databases on that server and hands each service its own. Unset: an embedded Postgres.
   */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL')
    .refine((value) => URL.canParse(value), 'must be a valid URL')
    .optional(),
  ORDER_PORT: port.default(3000),
  INVENTORY_PORT: port.default(3001),
  PAYMENT_PORT: port.default(3002),
  SHIPPING_PORT: port.default(3003),
  NOTIFICATION_PORT: port.default(3004),
  /** Prefix of the five database names (`orderflow_order`...); tests use their own. */
  STACK_DB_PREFIX: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'lower-case letters, digits and _ only')
    .default('orderflow_'),
  /** Where the local nats-server and Postgres keep their data and logs. */
  STACK_DATA_DIR: z.string().min(1).default(resolve(REPO_ROOT, '.data')),
  /** An explicit nats-server binary; default: PATH, then /usr/sbin and /usr/local/sbin. */
  NATS_SERVER_BIN: z.string().min(1).optional(),
  /**
   * `src` (default): the services' TypeScript through tsx, nothing to build. `dist`: their built
   * JavaScript (`npm run build` first), as the container images run it — less memory and start-up.
   */
  STACK_SERVICE_CODE: z.enum(['src', 'dist']).default('src'),
  /** Extra node flags for the services, space-separated (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`, which NODE_OPTIONS refuses). */
  STACK_NODE_ARGS: z.string().optional(),
  /** `pretty` (default): one short line per log entry; `json`: the services' raw pino lines. */
  LOG_FORMAT: z.enum(['pretty', 'json']).default('pretty'),
  NO_COLOR: z.string().optional(),
  FORCE_COLOR: z.string().optional(),
});

export type StackEnv = z.output<typeof envSchema> & {
  /** The environment the runner was started with, handed on to the services. */
  readonly inherited: Readonly<Record<string, string | undefined>>;
};

/** Parses the environment once; throws one error listing every bad variable. */
export function loadEnv(source: Readonly<Record<string, string | undefined>> = process.env): Readonly<StackEnv> {
  // Empty strings count as unset (`NATS_URL= npm start` means "start one for me").
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);
    throw new Error(`Invalid environment:\n  ${[...new Set(problems)].join('\n  ')}`);
  }
  return Object.freeze({ ...result.data, STACK_DATA_DIR: resolve(result.data.STACK_DATA_DIR), inherited: { ...source } });
}

import { z } from 'zod';

/** What the CLI reads from the environment; nothing else touches `process.env`. */
export const envSchema = z.object({
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  /** The stack's namespace (the same value the services were started with); empty in production. */
  NATS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'only letters, digits, _ and - (it becomes part of stream names)')
    .default(''),
});

export type CliEnv = z.output<typeof envSchema>;

/** Parses the environment once; throws one error listing every bad variable. */
export function loadEnv(source: Readonly<Record<string, string | undefined>> = process.env): Readonly<CliEnv> {
  // Empty strings count as unset (`NATS_URL= npm run trace ...` means the default).
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);
    throw new Error(`Invalid environment:\n  ${[...new Set(problems)].join('\n  ')}`);
  }
  return Object.freeze(result.data);
}

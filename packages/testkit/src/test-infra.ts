import { expect, inject } from 'vitest';
import { readTestkitEnv } from './env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** NATS URL (JetStream on) from the testkit global setup. */
    natsUrl: string;
    /** Postgres superuser URL from the testkit global setup; create databases from it. */
    adminDatabaseUrl: string;
  }
}

/** The URLs a test file should use. */
export interface TestInfra {
  readonly natsUrl: string;
  readonly adminDatabaseUrl: string;
}

/**
 * In a test file: the URLs the testkit global setup provided (vitest `inject`), else
 * `NATS_URL` / `DATABASE_URL`. Throws when neither is there, naming the fix.
 */
export function testInfra(): TestInfra {
  const env = readTestkitEnv();
  const natsUrl = provided('natsUrl') ?? env.natsUrl;
  const adminDatabaseUrl = provided('adminDatabaseUrl') ?? env.databaseUrl;
  if (natsUrl === undefined || adminDatabaseUrl === undefined) {
    throw new Error(
      'No test infrastructure: enable the testkit global setup (defineWorkspaceConfig({ infra: true })) ' +
        'or set NATS_URL and DATABASE_URL.',
    );
  }
  return { natsUrl, adminDatabaseUrl };
}

function provided(key: 'natsUrl' | 'adminDatabaseUrl'): string | undefined {
  try {
    // inject() returns undefined when no global setup provided the key, and throws outside a
    // vitest worker (plain scripts may import the kit too).
    const value: string | undefined = inject(key);
    return value === undefined || value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

/** The running test file's path, when called inside a vitest worker. */
export function currentTestPath(): string | undefined {
  try {
    return expect.getState().testPath ?? undefined;
  } catch {
    return undefined;
  }
}

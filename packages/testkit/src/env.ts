// The testkit's only reader of process.env. Read on each call (not at import) because test
// runners and scripts set these variables after importing the kit.

/** Where a piece of infrastructure came from. */
export type InfraKind = 'env' | 'containers' | 'local';

const MODES: readonly InfraKind[] = ['env', 'containers', 'local'];

export interface TestkitEnv {
  readonly natsUrl: string | undefined;
  readonly databaseUrl: string | undefined;
  /** Forces one source for both NATS and Postgres instead of the env > containers > local order. */
  readonly mode: InfraKind | undefined;
  readonly natsImage: string;
  readonly postgresImage: string;
}

export function readTestkitEnv(env: NodeJS.ProcessEnv = process.env): TestkitEnv {
  const mode = nonEmpty(env['TESTKIT_MODE']);
  if (mode !== undefined && !MODES.includes(mode as InfraKind)) {
    throw new Error(`TESTKIT_MODE must be one of ${MODES.join(', ')}; got "${mode}"`);
  }
  return Object.freeze({
    natsUrl: nonEmpty(env['NATS_URL']),
    databaseUrl: nonEmpty(env['DATABASE_URL']),
    mode: mode as InfraKind | undefined,
    natsImage: nonEmpty(env['TESTKIT_NATS_IMAGE']) ?? 'nats:2.10-alpine',
    postgresImage: nonEmpty(env['TESTKIT_POSTGRES_IMAGE']) ?? 'postgres:16-alpine',
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

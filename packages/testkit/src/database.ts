import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import pg from 'pg';
import { currentTestPath, testInfra } from './test-infra.js';

export interface CreateTestDatabaseOptions {
  /** Superuser URL to create the database from (default: testInfra().adminDatabaseUrl). */
  readonly adminUrl?: string;
  /** Readable part of the name (default: derived from the running test file's name). */
  readonly prefix?: string;
}

export interface TestDatabase {
  /** URL of the new database: the admin URL with the database name swapped in. */
  readonly url: string;
  readonly name: string;
  /**
   * A pool on this database that drop() may cut: it ignores the errors of connections the
   * forced drop terminates, which would otherwise reach the process as an uncaught 'error'
   * event. `pool.end()` resolves before its sockets close, so ending the pool first does not
   * make an unguarded pool safe. drop() ends the pools made here.
   */
  createPool(config?: Omit<pg.PoolConfig, 'connectionString'>): pg.Pool;
  /** Ends this database's pools, terminates every other connection to it and drops it. Idempotent. */
  drop(): Promise<void>;
}

// Postgres truncates identifiers at 63 bytes; keep names well under so they stay unique.
const MAX_PREFIX_LENGTH = 40;

/**
 * Creates an empty, uniquely named database (`t_<prefix>_<8 hex>`). Each test file (or test)
 * gets its own, so files can run in parallel against one server and leftovers are easy to
 * spot. Call drop() in afterAll; it works even while pools still hold connections.
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = options.adminUrl ?? testInfra().adminDatabaseUrl;
  const name = `t_${sanitize(options.prefix ?? prefixFromTestFile())}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  const pools: pg.Pool[] = [];
  return {
    url: url.toString(),
    name,
    createPool(config = {}) {
      const pool = new pg.Pool({ ...config, connectionString: url.toString() });
      pool.on('error', () => undefined);
      pools.push(pool);
      return pool;
    },
    drop() {
      dropping ??= (async () => {
        await Promise.all(pools.filter((p) => !p.ended && !p.ending).map((p) => p.end().catch(() => undefined)));
        // WITH (FORCE) (Postgres 13+) terminates the connections of pools that were not closed.
        await withAdmin(adminUrl, (client) =>
          client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
        );
      })();
      return dropping;
    },
  };
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function prefixFromTestFile(): string {
  const path = currentTestPath();
  return path === undefined ? 'db' : basename(path).replace(/\.(unit|int|e2e)?\.?(test|spec)\.[cm]?[jt]sx?$/, '');
}

function sanitize(prefix: string): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_PREFIX_LENGTH);
  return clean === '' ? 'db' : clean;
}

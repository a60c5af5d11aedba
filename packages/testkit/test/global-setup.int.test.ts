import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testInfra, uniqueNamespace } from '../src/index.js';
import { connectNats, createStream, deleteStream, publish, streamMessages } from './nats-helpers.js';

describe('testInfra() from the global setup', () => {
  it('provides a NATS URL with JetStream', async () => {
    const nc = await connectNats(testInfra().natsUrl);
    try {
      const ns = uniqueNamespace();
      await createStream(nc, ns, `${ns}.>`);
      await publish(nc, `${ns}.x`, 2);
      expect(await streamMessages(nc, ns)).toBe(2);
      await deleteStream(nc, ns);
    } finally {
      await nc.close();
    }
  });

  it('provides a Postgres admin URL', async () => {
    const client = new pg.Client({ connectionString: testInfra().adminDatabaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ superuser: boolean }>(
        `SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`,
      );
      expect(rows[0]?.superuser).toBe(true);
    } finally {
      await client.end();
    }
  });
});

describe('createTestDatabase', () => {
  const admin = new pg.Client({ connectionString: testInfra().adminDatabaseUrl });
  const exists = async (name: string): Promise<boolean> =>
    (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;

  afterAll(async () => {
    await admin.end();
  });

  it('creates a database named after the test file, reachable at its URL', async () => {
    await admin.connect();
    const db = await createTestDatabase();
    try {
      expect(db.name).toMatch(/^t_global_setup_[0-9a-f]{8}$/);
      expect(new URL(db.url).pathname).toBe(`/${db.name}`);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
      await client.end();
      expect(rows[0]?.db).toBe(db.name);
    } finally {
      await db.drop();
    }
  });

  it('drops the database even while a pool still holds connections', async () => {
    const db = await createTestDatabase({ prefix: 'Held Open!' });
    expect(db.name).toMatch(/^t_held_open_[0-9a-f]{8}$/);
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    // The forced drop kills these connections; the pool reports that as an error event.
    pool.on('error', () => undefined);
    await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]);
    expect(await exists(db.name)).toBe(true);

    await db.drop();
    await db.drop(); // idempotent
    expect(await exists(db.name)).toBe(false);
    await pool.end();
  });

  it('drops the database while its own pool is still closing, with no uncaught error', async () => {
    const uncaught: unknown[] = [];
    const record = (err: unknown) => void uncaught.push(err);
    process.on('uncaughtException', record);
    try {
      const db = await createTestDatabase({ prefix: 'closing' });
      const pool = db.createPool({ max: 4 });
      await Promise.all([1, 2, 3, 4].map(() => pool.query('SELECT pg_sleep(0.01)')));
      // end() resolves before the sockets close; the forced drop then cuts them.
      void pool.end();
      await db.drop();
      await new Promise((r) => setTimeout(r, 200));
      expect(await exists(db.name)).toBe(false);
      const db2 = await createTestDatabase({ prefix: 'closing' });
      const idle = db2.createPool({ max: 2 });
      await Promise.all([idle.query('SELECT 1'), idle.query('SELECT 1')]);
      await db2.drop(); // never ended by the caller
      await new Promise((r) => setTimeout(r, 200));
      expect(idle.ended).toBe(true);
    } finally {
      process.off('uncaughtException', record);
    }
    expect(uncaught).toEqual([]);
  });

  it('gives every call its own database', async () => {
    const [a, b] = await Promise.all([createTestDatabase({ prefix: 'same' }), createTestDatabase({ prefix: 'same' })]);
    expect(a.name).not.toBe(b.name);
    await Promise.all([a.drop(), b.drop()]);
  });
});

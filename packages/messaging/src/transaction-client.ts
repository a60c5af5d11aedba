import type pg from 'pg';

/**
 * Runs `work` on a pooled connection that it uses for one transaction. If `work` throws, the
 * transaction is rolled back before the error goes on; a connection that cannot even roll back
 * is destroyed rather than returned to the pool (it may still be inside the failed transaction).
 * The connection is released either way.
 */
export async function withTransactionClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await work(client);
  } catch (err) {
    await client.query('rollback').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

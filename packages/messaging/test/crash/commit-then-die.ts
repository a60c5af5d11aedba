// Child process: commits a state change and its event to the outbox, then dies (SIGKILL)
// before any relay could publish it. Args: <databaseUrl> <orderId>.
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { enqueue, runWithContext } from '../../src/index.js';

const [dbUrl, orderId] = process.argv.slice(2) as [string, string];
const pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
const db = drizzle({ client: pool });
await runWithContext({ correlationId: `crash-${orderId}`, causationId: null }, () =>
  db.transaction(async (tx) => {
    await tx.execute(`insert into effects (event_id, consumer) values ('${orderId}', 'order-state')`);
    await enqueue(tx, [{ type: 'inventory.rejected', orderId, data: { reason: 'UNKNOWN_SKU', skus: ['X-1'] } }], {
      source: 'inventory',
    });
  }),
);
process.kill(process.pid, 'SIGKILL');

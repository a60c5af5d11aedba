// Child process: a consumer runner that commits a handler's transaction and dies (SIGKILL)
// before acking. Args: <databaseUrl> <natsUrl> <namespace> <stream> <filterSubject>.
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { connect } from '@nats-io/transport-node';
import { createConsumerRunner } from '../../src/index.js';

const [dbUrl, natsUrl, ns, stream, filterSubject] = process.argv.slice(2) as [string, string, string, string, string];
const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
const nc = await connect({ servers: natsUrl });
const runner = createConsumerRunner({
  nc,
  pool,
  source: 'inventory',
  name: 'crash-consumer',
  stream,
  filterSubject,
  namespace: ns,
  ackWaitMs: 2000,
  handler: async (event, { tx }) => {
    await tx.execute(sql`insert into effects (event_id, consumer) values (${event.id}, 'crash-consumer')`);
    return [];
  },
  faults: {
    beforeAck: () => {
      process.kill(process.pid, 'SIGKILL');
    },
  },
});
await runner.start();

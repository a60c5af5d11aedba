// Child process: a relay that gets its PubAcks and dies (SIGKILL) before marking the rows
// published. Args: <databaseUrl> <natsUrl> <namespace>.
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { createOutboxRelay } from '../../src/index.js';

const [dbUrl, natsUrl, ns] = process.argv.slice(2) as [string, string, string];
const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
const nc = await connect({ servers: natsUrl });
const relay = createOutboxRelay({
  pool,
  nc,
  namespace: ns,
  faults: {
    beforeDelete: async () => {
      await nc.flush();
      process.kill(process.pid, 'SIGKILL');
    },
  },
});
await relay.runOnce();

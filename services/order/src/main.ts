import { startService } from '@orderflow/service-kit';
import { loadEnv } from './env.js';
import { orderService } from './service.js';

await startService(orderService, loadEnv(), { handleSignals: true });

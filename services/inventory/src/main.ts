import { startService } from '@orderflow/service-kit';
import { loadEnv } from './env.js';
import { inventoryService } from './service.js';

await startService(inventoryService, loadEnv(), { handleSignals: true });

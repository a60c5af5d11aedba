import { startService } from '@orderflow/service-kit';
import { loadEnv } from './env.js';
import { shippingService } from './service.js';

await startService(shippingService, loadEnv(), { handleSignals: true });

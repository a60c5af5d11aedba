import { startService } from '@orderflow/service-kit';
import { loadEnv } from './env.js';
import { paymentService } from './service.js';

await startService(paymentService, loadEnv(), { handleSignals: true });

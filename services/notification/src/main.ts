import { startService } from '@orderflow/service-kit';
import { loadEnv } from './env.js';
import { notificationService } from './service.js';

await startService(notificationService, loadEnv(), { handleSignals: true });

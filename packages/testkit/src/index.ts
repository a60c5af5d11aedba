export { createTestDatabase } from './database.js';
export { eventually } from './eventually.js';
export { startInfra } from './infra.js';
export { uniqueNamespace } from './namespace.js';
export { startPrivateNats } from './private-nats.js';
export { testInfra } from './test-infra.js';

export type { CreateTestDatabaseOptions, TestDatabase } from './database.js';
export type { InfraKind } from './env.js';
export type { EventuallyOptions } from './eventually.js';
export type { Infra } from './infra.js';
export type { PrivateNats, PrivateNatsOptions, RestartOptions } from './private-nats.js';
export type { TestInfra } from './test-infra.js';

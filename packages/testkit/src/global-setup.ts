import type { TestProject } from 'vitest/node';
import { startInfra } from './infra.js';
// For the ProvidedContext augmentation that types provide()/inject().
import type {} from './test-infra.js';

/**
 * vitest globalSetup: starts (or finds) NATS and Postgres once per run, in the main process,
 * and hands their URLs to test files through provide/inject (read them with testInfra()).
 * The returned teardown stops whatever was started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const infra = await startInfra();
  project.provide('natsUrl', infra.natsUrl);
  project.provide('adminDatabaseUrl', infra.adminDatabaseUrl);
  if (infra.kind.nats !== 'env' || infra.kind.postgres !== 'env') {
    console.info(
      `[testkit] NATS ${infra.natsUrl} (${infra.kind.nats}), Postgres ${redact(infra.adminDatabaseUrl)} (${infra.kind.postgres})`,
    );
  }
  return () => infra.stop();
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

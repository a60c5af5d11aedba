// Shared vitest settings for every workspace. Workspace packages are resolved to their
// TypeScript sources through the "@orderflow/source" export condition, so tests never
// run against stale dist/ output.
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

export interface WorkspaceConfigOptions {
  /** Start NATS + Postgres once for the run (testkit globalSetup). */
  readonly infra?: boolean;
  readonly testTimeout?: number;
}

export function defineWorkspaceConfig(options: WorkspaceConfigOptions = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: ['@orderflow/source', ...defaultClientConditions] },
    ssr: { resolve: { conditions: ['@orderflow/source', ...defaultServerConditions] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      // A path, not the package name: vitest resolves globalSetup with Node's conditions (dist/).
      globalSetup: options.infra ? [fileURLToPath(new URL('./packages/testkit/src/global-setup.ts', import.meta.url))] : [],
      pool: 'forks',
    },
  });
}

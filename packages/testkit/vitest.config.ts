import { mergeConfig } from 'vitest/config';
import { defineWorkspaceConfig } from '../../vitest.shared.js';

// Not `{ infra: true }`: vitest resolves globalSetup specifiers with Node's conditions, so
// '@orderflow/testkit/global-setup' means dist/, which this package's own test run must not
// depend on (nor test a stale copy of).
export default mergeConfig(defineWorkspaceConfig(), { test: { globalSetup: ['./src/global-setup.ts'] } });

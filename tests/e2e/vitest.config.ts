import { mergeConfig } from 'vitest/config';
import { defineWorkspaceConfig } from '../../vitest.shared.js';

// Five services per test file: run files one after another to stay within two cores.
export default mergeConfig(defineWorkspaceConfig({ infra: true, testTimeout: 90_000 }), {
  test: { fileParallelism: false },
});

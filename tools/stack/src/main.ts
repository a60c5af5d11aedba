// npm start: the whole stack on this machine. See tools/stack/README.md.
import { loadEnv, REPO_ROOT, type StackEnv } from './env.js';
import { createOutput } from './output.js';
import { runStack } from './stack.js';

let env: StackEnv;
try {
  env = loadEnv();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

const colour = env.FORCE_COLOR !== undefined ? env.FORCE_COLOR !== '0' : env.NO_COLOR === undefined && process.stdout.isTTY;
await runStack(env, createOutput({ colour, terminal: process.stdout.isTTY, format: env.LOG_FORMAT }), REPO_ROOT);

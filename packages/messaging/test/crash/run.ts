import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs a crash script in a child Node process (TypeScript via tsx) and resolves with its exit signal. */
export function runCrashScript(script: string, args: readonly string[], timeoutMs = 30_000): Promise<NodeJS.Signals | number | null> {
  const file = fileURLToPath(new URL(`./${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@orderflow/source', '--import', 'tsx', file, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not die within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? code);
    });
  });
}

import { onExit } from 'signal-exit';

// Child servers must not outlive the test process, even when it dies from an uncaught error
// or SIGINT/SIGTERM before any teardown runs. Exit handlers are synchronous, so each entry
// only sends signals and removes directories; graceful shutdown is the job of stop().
const cleanups = new Set<() => void>();
let installed = false;

/** Registers a synchronous last-resort cleanup; the returned function unregisters it. */
export function onProcessExit(cleanup: () => void): () => void {
  if (!installed) {
    installed = true;
    onExit(() => {
      for (const fn of cleanups) {
        try {
          fn();
        } catch {
          // Best effort: one failing cleanup must not keep the others from running.
        }
      }
    });
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

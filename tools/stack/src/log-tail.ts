import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Size of a file in bytes, 0 when missing: where this run's part of an appended log starts. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * The last `lines` lines written to `path` since byte `from` (this run's part of a log that is
 * appended to across runs), indented, for an error message; names the file for the rest.
 */
export function logTail(path: string, from: number, lines = 25): string {
  const size = fileSize(path);
  const start = Math.max(from, size - 64 * 1024);
  if (size <= start) return `  (nothing in ${path})`;
  const buffer = Buffer.alloc(size - start);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, start);
  } finally {
    closeSync(fd);
  }
  const tail = buffer.toString('utf8').split('\n').filter(Boolean).slice(-lines);
  return [...tail.map((line) => `  ${line}`), `  (full log: ${path})`].join('\n');
}

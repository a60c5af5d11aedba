/**
 * Whether a JetStream stream belongs to a stack the bench started: its service streams are named
 * `<BASE>_bench_<hex>` (contracts' stream name for namespace `bench_<hex>`, see system/stack.ts).
 */
export function isBenchStackStream(name: string): boolean {
  return /^[A-Z]+_bench_[0-9a-f]+$/.test(name);
}

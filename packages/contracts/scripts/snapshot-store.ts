// The committed compatibility snapshots: the JSON Schema of every published (type, version)
// under snapshots/, `<type>@<version>.json`, plus `<type>@<version>.rev<n>.json` for each
// compatible in-place edit of that version. Shared by `npm run snapshots` and the tests.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { eventCatalog, type CatalogEntry } from '../src/catalog.js';
import { checkCatalogCompatibility, type CompatibilityIssue } from '../src/compatibility.js';
import { eventJsonSchema, type JsonSchemaObject } from '../src/json-schema.js';

/** Directory of the committed snapshots. */
export const snapshotDir = fileURLToPath(new URL('../snapshots/', import.meta.url));

/** One snapshot file on disk. */
export interface Snapshot {
  readonly file: string;
  readonly type: string;
  readonly version: number;
  readonly revision: number;
  readonly schema: JsonSchemaObject;
}

/** `order.placed@1.json`, then `order.placed@1.rev2.json`, ... */
export function snapshotFileName(type: string, version: number, revision = 1): string {
  return revision === 1 ? `${type}@${version}.json` : `${type}@${version}.rev${revision}.json`;
}

const fileNamePattern = /^(.+)@([1-9]\d*)(?:\.rev([1-9]\d*))?\.json$/;

/** Every snapshot in `dir`, sorted by file name. Throws on a JSON file with any other name. */
export function readSnapshots(dir: string = snapshotDir): Snapshot[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const match = fileNamePattern.exec(file);
      if (!match?.[1] || !match[2] || match[3] === '1') {
        throw new Error(`snapshots/${file}: expected <type>@<version>.json or <type>@<version>.rev<n>.json (n >= 2)`);
      }
      const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as JsonSchemaObject;
      return { file, type: match[1], version: Number(match[2]), revision: Number(match[3] ?? 1), schema };
    });
}

/** Serialisation of a snapshot: zod's (stable) key order, two-space indent, final newline. */
export function formatSnapshot(schema: JsonSchemaObject): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** What `writeMissingSnapshots` did. */
export interface SnapshotWriteResult {
  readonly written: readonly string[];
  /** Entries not recorded because their current schema breaks an existing snapshot of them. */
  readonly refused: readonly { readonly key: string; readonly issues: readonly CompatibilityIssue[] }[];
}

/**
 * Records the current schema of every catalogue entry that no snapshot matches: a new version
 * gets `<type>@<version>.json`, a compatibly edited one the next `.rev<n>.json`. Never overwrites
 * a file (a snapshot records what was published; rewriting it would hide exactly the change the
 * compatibility test exists to catch) and never records a schema that breaks an earlier snapshot.
 */
export function writeMissingSnapshots(dir: string = snapshotDir, catalog: readonly CatalogEntry[] = eventCatalog): SnapshotWriteResult {
  mkdirSync(dir, { recursive: true });
  const existing = readSnapshots(dir);
  const report = checkCatalogCompatibility(existing, catalog);
  const written: string[] = [];
  const refused: { key: string; issues: readonly CompatibilityIssue[] }[] = [];
  for (const entry of catalog) {
    const key = `${entry.type}@${entry.version}`;
    if (!report.unsnapshotted.includes(key)) continue;
    const mine = existing.filter((s) => s.type === entry.type && s.version === entry.version);
    const issues = report.breaking.filter((b) => b.key === key || b.key.startsWith(`${key}.rev`)).flatMap((b) => b.issues);
    if (issues.length > 0) {
      refused.push({ key, issues });
      continue;
    }
    const schema = eventJsonSchema(entry);
    if (mine.some((s) => isDeepStrictEqual(s.schema, schema))) continue;
    const revision = Math.max(0, ...mine.map((s) => s.revision)) + 1;
    const file = snapshotFileName(entry.type, entry.version, revision);
    // 'wx' fails instead of overwriting if the file appeared since it was listed.
    writeFileSync(join(dir, file), formatSnapshot(schema), { flag: 'wx' });
    written.push(file);
  }
  return { written, refused };
}

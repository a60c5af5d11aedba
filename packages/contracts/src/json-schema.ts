import { z } from 'zod';
import type { CatalogEntry } from './catalog.js';

/** A JSON Schema object (draft-07 keywords). */
export type JsonSchemaObject = { [keyword: string]: unknown };
/** A JSON Schema: an object, or `true` (accepts anything) / `false` (accepts nothing). */
export type JsonSchema = boolean | JsonSchemaObject;

/** The JSON Schema dialect of every generated schema; AsyncAPI's default schema format builds on it. */
export const JSON_SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

/**
 * Converts a catalogue schema to JSON Schema (draft-07) with zod's own converter, so the
 * AsyncAPI document, the compatibility snapshots and the runtime validator all come from the
 * same zod schema.
 *
 * - `io: 'input'` describes what a consumer *accepts*: zod objects strip unknown keys, so the
 *   result has no `additionalProperties: false` (a `z.strictObject` still produces one).
 * - For string formats (`z.uuid()`, `z.email()`, `z.iso.datetime()`) only `format` is kept, not
 *   the regex zod checks it with: that regex is a zod implementation detail that changes between
 *   zod releases, and keeping it would make every zod upgrade look like a breaking schema change.
 * - Every shared sub-schema is inlined (no `$ref`), which keeps snapshots self-contained.
 */
export function toEventJsonSchema(schema: z.ZodType): JsonSchemaObject {
  return z.toJSONSchema(schema, {
    target: 'draft-07',
    io: 'input',
    unrepresentable: 'throw',
    reused: 'inline',
    override: ({ zodSchema, jsonSchema }) => dropFormatPattern(zodSchema._zod.def, jsonSchema),
  });
}

/** The JSON Schema of one catalogue entry (the whole envelope, `data` included). */
export function eventJsonSchema(entry: CatalogEntry): JsonSchemaObject {
  return toEventJsonSchema(entry.schema);
}

/** Regexes zod checks string formats with: the schema's own (`z.email()`) and format checks (`z.string().email()`). */
function formatPatterns(def: object): Set<string> {
  const sources = new Set<string>();
  const add = (d: { check?: unknown; format?: unknown; pattern?: unknown }) => {
    if (d.check === 'string_format' && d.format !== 'regex' && d.pattern instanceof RegExp) sources.add(d.pattern.source);
  };
  add(def);
  const checks = (def as { checks?: unknown }).checks;
  if (Array.isArray(checks)) {
    for (const c of checks as { _zod?: { def?: object } }[]) if (c._zod?.def) add(c._zod.def);
  }
  return sources;
}

function dropFormatPattern(def: object, json: JsonSchemaObject): void {
  // Only when the format survived conversion: where zod cannot express it as `format` (e.g.
  // `z.iso.time()`, or a format with an extra `.regex()`), its regex is the only contract left.
  if (typeof json.format !== 'string') return;
  const sources = formatPatterns(def);
  if (sources.size === 0) return;
  if (typeof json.pattern === 'string' && sources.has(json.pattern)) delete json.pattern;
  // Several patterns are emitted as an allOf of `{ pattern }` branches.
  if (Array.isArray(json.allOf)) {
    const rest = (json.allOf as unknown[]).filter((b) => {
      const pattern = typeof b === 'object' && b !== null ? (b as JsonSchemaObject).pattern : undefined;
      return !(typeof pattern === 'string' && sources.has(pattern));
    });
    if (rest.length === 0) delete json.allOf;
    else json.allOf = rest;
  }
}

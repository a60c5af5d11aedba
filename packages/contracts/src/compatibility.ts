import { eventCatalog, type CatalogEntry } from './catalog.js';
import { eventJsonSchema, type JsonSchema, type JsonSchemaObject } from './json-schema.js';

/** One reason why a schema change breaks consumers. `path` is dotted (`data.items[].sku`). */
export interface CompatibilityIssue {
  readonly path: string;
  readonly message: string;
}

/** Outcome of a compatibility check: `compatible` exactly when `issues` is empty. */
export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly issues: readonly CompatibilityIssue[];
}

/**
 * Backward compatibility of two JSON Schemas (draft-07): can a consumer that validates with
 * `current` still read every message that was valid under `previous` (the published snapshot)?
 * Messages stay in JetStream streams and dead-letter queues long after a deploy, so this is the
 * question that matters when a schema version is edited in place.
 *
 * Breaking: a newly required property, a type changed or narrowed (number → integer, nullable →
 * not), an enum value removed, a const changed, a new or stricter pattern/format/min/max/
 * multipleOf, a newly unique array, `additionalProperties` tightened, a removed property that
 * the new schema no longer lets through. Not breaking: a new optional property, an enum widened,
 * a constraint relaxed or removed, a property no longer required.
 *
 * The check is sound but not complete: it never calls a breaking change compatible, but can call
 * an exotic compatible one breaking. Keywords it does not analyse (`oneOf`, `not`, `$ref`,
 * `if`/`then`, `patternProperties`, tuples, ...) must then be unchanged.
 *
 * One convention: a new optional property is assumed not to collide with an *undeclared*
 * property of old messages, even when the old schema allowed undeclared properties (zod objects
 * do). Producers only emit declared fields; a collision needs an earlier producer to have sent a
 * field of that exact name, whereas tightening `additionalProperties` rejects every extra field.
 *
 * Forward compatibility (old consumers reading messages of the new schema) is the same question
 * reversed: `checkBackwardCompatibility(current, previous)`.
 */
export function checkBackwardCompatibility(previous: JsonSchema, current: JsonSchema): CompatibilityResult {
  const issues = subset(previous, current, '');
  return { compatible: issues.length === 0, issues: dedupe(issues) };
}

/**
 * A schema as it was published: one committed snapshot of a (type, version). A version edited
 * in place (compatibly) gets a further revision, because messages of every revision may still
 * sit in a stream: the current schema has to read all of them, not only the first.
 */
export interface PublishedSchema {
  readonly type: string;
  readonly version: number;
  /** 1 for the first snapshot of a version; absent means 1. */
  readonly revision?: number | undefined;
  readonly schema: JsonSchema;
}

/** How the catalogue compares with the published snapshots. Clean when all three lists are empty. */
export interface CatalogCompatibilityReport {
  /**
   * `type@version` of catalogue entries whose current schema is not recorded in any snapshot:
   * new versions, and versions edited (compatibly) since their last snapshot. Run
   * `npm run snapshots`.
   */
  readonly unsnapshotted: readonly string[];
  /** `type@version` of snapshots missing from the catalogue: a published version was removed. */
  readonly removed: readonly string[];
  /** Snapshots (`type@version`, or `type@version.revN`) the current schema can no longer read. */
  readonly breaking: readonly { readonly key: string; readonly issues: readonly CompatibilityIssue[] }[];
}

/**
 * Compares the catalogue with the published snapshots: every snapshotted (type, version) must
 * still be in the catalogue (consumers may meet messages of that version for as long as streams
 * keep them), its current schema must read everything each snapshot of it accepted, and the
 * current schema must itself be recorded. A breaking change therefore belongs in a new version:
 * the new (type, version) has no snapshot to break, and the old version's schema stays readable.
 */
export function checkCatalogCompatibility(
  snapshots: readonly PublishedSchema[],
  catalog: readonly CatalogEntry[] = eventCatalog,
): CatalogCompatibilityReport {
  const key = (e: { type: string; version: number }) => `${e.type}@${e.version}`;
  const entries = new Map(catalog.map((e) => [key(e), e]));
  const current = new Map(catalog.map((e) => [key(e), eventJsonSchema(e)]));
  const breaking: { key: string; issues: readonly CompatibilityIssue[] }[] = [];
  const removed = new Set<string>();
  const recorded = new Set<string>();
  for (const snapshot of snapshots) {
    const k = key(snapshot);
    const schema = current.get(k);
    if (!entries.has(k) || schema === undefined) {
      removed.add(k);
      continue;
    }
    if (deepEqual(snapshot.schema, schema)) recorded.add(k);
    const { issues } = checkBackwardCompatibility(snapshot.schema, schema);
    const revision = snapshot.revision ?? 1;
    if (issues.length > 0) breaking.push({ key: revision > 1 ? `${k}.rev${revision}` : k, issues });
  }
  const unsnapshotted = [...entries.keys()].filter((k) => !recorded.has(k));
  return { unsnapshotted, removed: [...removed], breaking };
}

// ---------------------------------------------------------------------------------------------
// Core: is every instance of `a` an instance of `b`? Returns the reasons it is not.
// ---------------------------------------------------------------------------------------------

type Issues = CompatibilityIssue[];

/** Keywords that never reject an instance; they are ignored on both sides. */
const annotations = new Set([
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
]);
// `definitions`/`$defs` are deliberately not annotations: a `$ref` compares equal by its
// string, so a change behind it must show up as a change of the definitions themselves.

/** Keywords `plainSubset` analyses; anything else in the new schema must be unchanged. */
const analysed = new Set([
  'type',
  'const',
  'enum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'anyOf',
  'allOf',
]);

function subset(a: JsonSchema, b: JsonSchema, path: string): Issues {
  if (a === false || b === true) return [];
  if (b === false) return [issue(path, 'the schema now rejects every value')];
  if (isUnconstrained(b)) return [];
  const ao: JsonSchemaObject = a === true ? {} : a;
  if (deepEqual(stripAnnotations(ao), stripAnnotations(b))) return [];

  // A conjunction in the new schema: the old schema must imply every part of it.
  if (Array.isArray(b.allOf)) {
    const parts = [omit(b, 'allOf'), ...(b.allOf as JsonSchema[])];
    return parts.flatMap((p) => subset(ao, p, path));
  }

  // A union on either side: every old alternative must fit into some new alternative.
  // (Sufficient, not necessary: an old range split across two new branches is reported.)
  const newAlts = alternatives(b, false);
  const oldAlts = alternatives(ao, true);
  const out: Issues = [];
  for (const alt of oldAlts) {
    const attempts: Issues[] = [];
    let fits = false;
    for (const candidate of newAlts) {
      const r = altSubset(alt, candidate, path);
      if (r.length === 0) {
        fits = true;
        break;
      }
      attempts.push(r);
    }
    if (fits) continue;
    // Explain against the alternative of the same type, the one a reader compares with, or the
    // only one; in a union without one (e.g. `null` dropped from a nullable), say the type is gone.
    const sameTypeIndex = newAlts.findIndex((c) => sameType(alt, c));
    const explained =
      sameTypeIndex >= 0 ? attempts[sameTypeIndex] : oldAlts.length === 1 && newAlts.length === 1 ? attempts[0] : undefined;
    out.push(...(explained ?? [issue(path, `${describeType(alt)} is no longer accepted`)]));
  }
  return out;
}

/**
 * Splits a schema into alternatives without a union at the top: `anyOf` (and, on the old side,
 * `oneOf`, which is narrower than `anyOf`) branches, one per `type` of a type array, one per
 * value type of a mixed `enum`.
 */
function alternatives(s: JsonSchema, oldSide: boolean): JsonSchemaObject[] {
  if (s === false) return [];
  if (s === true) return [{}];
  const unionKey = Array.isArray(s.anyOf) ? 'anyOf' : oldSide && Array.isArray(s.oneOf) ? 'oneOf' : undefined;
  if (unionKey) {
    const rest = omit(s, unionKey);
    return (s[unionKey] as JsonSchema[]).flatMap((branch) => alternatives(merge(rest, branch), oldSide));
  }
  if (Array.isArray(s.type)) {
    return (s.type as string[]).flatMap((t) => alternatives({ ...s, type: t }, oldSide));
  }
  const values = enumerated(s);
  if (values && s.type === undefined) {
    const types = [...new Set(values.map(jsonType))];
    if (types.length > 1) {
      return types.map((t) => ({ ...omit(s, 'const'), enum: values.filter((v) => jsonType(v) === t) }));
    }
  }
  return [s];
}

/** `a` and `b` have no union at the top (`b` may still carry an `allOf` from a merge). */
function altSubset(a: JsonSchemaObject, b: JsonSchemaObject, path: string): Issues {
  if (Array.isArray(b.allOf) || Array.isArray(b.anyOf)) return subset(a, b, path);
  if (Array.isArray(a.allOf)) {
    // An old conjunction implies `b` when one of its parts does (each part is a superset of it).
    const rest = omit(a, 'allOf');
    const parts = [rest, ...(a.allOf as JsonSchema[]).map((p) => (collides(rest, p) ? p : merge(rest, p)))];
    let first: Issues | undefined;
    for (const p of parts) {
      const r = subset(p, b, path);
      if (r.length === 0) return [];
      first ??= r;
    }
    return first ?? [];
  }
  return plainSubset(a, b, path);
}

function plainSubset(a: JsonSchemaObject, b: JsonSchemaObject, path: string): Issues {
  const out: Issues = [];
  const aValues = enumerated(a);
  const aType = typeof a.type === 'string' ? a.type : undefined;
  const bType = typeof b.type === 'string' ? b.type : undefined;

  // --- type ---
  if (bType !== undefined) {
    if (aValues) {
      const bad = aValues.filter((v) => !valueHasType(v, bType));
      if (bad.length > 0) out.push(issue(path, `type is now ${bType}; ${list(bad)} no longer accepted`));
    } else if (aType === undefined) {
      out.push(issue(path, `type ${bType} added; any value was accepted before`));
    } else if (aType !== bType && !(aType === 'integer' && bType === 'number')) {
      out.push(issue(path, `type changed from ${aType} to ${bType}`));
    }
  }

  // --- const / enum ---
  const bValues = enumerated(b);
  if (bValues) {
    if (!aValues) {
      out.push(issue(path, b.const !== undefined ? `const ${show(b.const)} added` : `enum ${list(bValues)} added`));
    } else {
      const missing = aValues.filter((v) => !bValues.some((w) => deepEqual(v, w)));
      if (missing.length > 0) {
        out.push(
          issue(
            path,
            b.const !== undefined && a.const !== undefined
              ? `const changed from ${show(a.const)} to ${show(b.const)}`
              : `value ${list(missing)} removed from the enum`,
          ),
        );
      }
    }
  }

  // Which keyword families apply: those of the old type, or all when the old type is open.
  const types = aValues ? new Set(aValues.map(jsonType)) : aType ? new Set([aType]) : undefined;
  const applies = (...ts: string[]) => !types || ts.some((t) => types.has(t));

  if (aValues) {
    // A finite old set: test each old value against the new constraints directly.
    for (const v of aValues) out.push(...valueIssues(v, a, b, path));
  } else {
    if (applies('string')) out.push(...stringIssues(a, b, path));
    if (applies('number', 'integer')) out.push(...numberIssues(a, b, path, aType === 'integer'));
  }
  if (applies('array')) out.push(...arrayIssues(a, b, path));
  if (applies('object')) out.push(...objectIssues(a, b, path));

  // --- everything not analysed must be unchanged ---
  for (const key of Object.keys(b)) {
    if (annotations.has(key) || analysed.has(key)) continue;
    if (!deepEqual(a[key], b[key])) out.push(issue(path, `"${key}" changed; it is not analysed, so it is treated as breaking`));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Keyword families
// ---------------------------------------------------------------------------------------------

function stringIssues(a: JsonSchemaObject, b: JsonSchemaObject, path: string): Issues {
  const out: Issues = [];
  out.push(...lowerCount(a, b, 'minLength', path), ...upperCount(a, b, 'maxLength', path));
  if (typeof b.pattern === 'string' && a.pattern !== b.pattern) {
    out.push(issue(path, a.pattern === undefined ? `pattern ${b.pattern} added` : `pattern changed from ${show(a.pattern)} to ${show(b.pattern)}`));
  }
  if (typeof b.format === 'string' && a.format !== b.format) {
    out.push(issue(path, a.format === undefined ? `format ${b.format} added` : `format changed from ${show(a.format)} to ${show(b.format)}`));
  }
  return out;
}

interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

function numberIssues(a: JsonSchemaObject, b: JsonSchemaObject, path: string, integer: boolean): Issues {
  const out: Issues = [];
  const aLow = lowerBound(a, integer);
  const bLow = lowerBound(b, integer);
  // The old lower bound must be at least as strict as the new one.
  if (bLow && (!aLow || aLow.value < bLow.value || (aLow.value === bLow.value && bLow.exclusive && !aLow.exclusive))) {
    out.push(issue(path, `lower bound raised to ${showBound(bLow, '>')}${aLow ? ` (was ${showBound(aLow, '>')})` : ''}`));
  }
  const aHigh = upperBound(a, integer);
  const bHigh = upperBound(b, integer);
  if (bHigh && (!aHigh || aHigh.value > bHigh.value || (aHigh.value === bHigh.value && bHigh.exclusive && !aHigh.exclusive))) {
    out.push(issue(path, `upper bound lowered to ${showBound(bHigh, '<')}${aHigh ? ` (was ${showBound(aHigh, '<')})` : ''}`));
  }
  // Draft-04's boolean exclusiveMinimum/Maximum is not analysed; it must be unchanged.
  for (const key of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (typeof b[key] === 'boolean' && a[key] !== b[key]) out.push(issue(path, `boolean ${key} changed; not analysed`));
  }
  if (typeof b.multipleOf === 'number') {
    const base = typeof a.multipleOf === 'number' ? a.multipleOf : integer ? 1 : undefined;
    if (base === undefined || !isMultiple(base, b.multipleOf)) {
      out.push(issue(path, `multipleOf ${b.multipleOf} added or made stricter`));
    }
  }
  return out;
}

function arrayIssues(a: JsonSchemaObject, b: JsonSchemaObject, path: string): Issues {
  const out: Issues = [];
  out.push(...lowerCount(a, b, 'minItems', path), ...upperCount(a, b, 'maxItems', path));
  if (b.uniqueItems === true && a.uniqueItems !== true) out.push(issue(path, 'uniqueItems added'));
  if (b.items !== undefined) {
    if (Array.isArray(a.items) || Array.isArray(b.items)) {
      if (!deepEqual(a.items, b.items)) out.push(issue(path, 'tuple items changed; tuples are not analysed'));
    } else {
      out.push(...subset((a.items as JsonSchema | undefined) ?? true, b.items as JsonSchema, `${path}[]`));
    }
  }
  return out;
}

function objectIssues(a: JsonSchemaObject, b: JsonSchemaObject, path: string): Issues {
  const out: Issues = [];
  out.push(...lowerCount(a, b, 'minProperties', path), ...upperCount(a, b, 'maxProperties', path));
  const aProps = (a.properties ?? {}) as Record<string, JsonSchema>;
  const bProps = (b.properties ?? {}) as Record<string, JsonSchema>;
  const aRequired = new Set((a.required ?? []) as string[]);
  const aExtra = (a.additionalProperties ?? true) as JsonSchema;
  const bExtra = (b.additionalProperties ?? true) as JsonSchema;

  for (const name of (b.required ?? []) as string[]) {
    if (!aRequired.has(name)) out.push(issue(join(path, name), 'property is now required; old messages may lack it'));
  }
  for (const [name, bProp] of Object.entries(bProps)) {
    const aProp = own(aProps, name);
    if (aProp !== undefined) out.push(...subset(aProp, bProp, join(path, name)));
    // A property the old schema did not declare: only a schema-valued `additionalProperties`
    // (a record) says what old messages carried under that name; see the convention above.
    else if (typeof aExtra === 'object' && !isUnconstrained(aExtra)) out.push(...subset(aExtra, bProp, join(path, name)));
  }
  for (const [name, aProp] of Object.entries(aProps)) {
    if (own(bProps, name) !== undefined) continue;
    // Removed from `properties`: old messages may still carry it, so the new catch-all must accept it.
    if (bExtra === false) out.push(issue(join(path, name), 'property removed and additionalProperties is false; old messages carrying it are rejected'));
    else out.push(...subset(aProp, bExtra, join(path, name)));
  }
  if (bExtra === false && aExtra !== false) {
    out.push(issue(path, 'additionalProperties tightened to false; old messages with undeclared properties are rejected'));
  } else if (bExtra !== false) {
    out.push(...subset(aExtra, bExtra, join(path, '*')));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Old schema is a finite set of values: check each one
// ---------------------------------------------------------------------------------------------

function valueIssues(v: unknown, a: JsonSchemaObject, b: JsonSchemaObject, path: string): Issues {
  const out: Issues = [];
  const reject = (why: string) => out.push(issue(path, `${show(v)} no longer accepted: ${why}`));
  if (typeof v === 'string') {
    const len = [...v].length;
    if (typeof b.minLength === 'number' && len < b.minLength) reject(`minLength ${b.minLength}`);
    if (typeof b.maxLength === 'number' && len > b.maxLength) reject(`maxLength ${b.maxLength}`);
    if (typeof b.pattern === 'string' && a.pattern !== b.pattern && !matches(b.pattern, v)) reject(`pattern ${b.pattern}`);
    // Formats are not evaluated; the old value set only passes one it already had.
    if (typeof b.format === 'string' && a.format !== b.format) reject(`format ${b.format} added (formats of enumerated values are not evaluated)`);
  }
  if (typeof v === 'number') {
    if (typeof b.minimum === 'number' && v < b.minimum) reject(`minimum ${b.minimum}`);
    if (typeof b.exclusiveMinimum === 'number' && v <= b.exclusiveMinimum) reject(`exclusiveMinimum ${b.exclusiveMinimum}`);
    if (typeof b.maximum === 'number' && v > b.maximum) reject(`maximum ${b.maximum}`);
    if (typeof b.exclusiveMaximum === 'number' && v >= b.exclusiveMaximum) reject(`exclusiveMaximum ${b.exclusiveMaximum}`);
    if (typeof b.multipleOf === 'number' && !isMultiple(v, b.multipleOf)) reject(`multipleOf ${b.multipleOf}`);
  }
  if (typeof v === 'object' && v !== null) {
    // Enumerated objects/arrays are rare; require the structural keywords to be absent.
    const structural = ['properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'uniqueItems'];
    if (structural.some((k) => b[k] !== undefined)) reject('structural constraints on enumerated objects are not analysed');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** JSON Schema patterns are ECMA-262 regexes, unanchored. An invalid one matches nothing. */
function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return false;
  }
}

function lowerCount(a: JsonSchemaObject, b: JsonSchemaObject, key: string, path: string): Issues {
  const bv = b[key];
  if (typeof bv !== 'number') return [];
  const raw = a[key];
  const av = typeof raw === 'number' ? raw : 0;
  return av < bv ? [issue(path, `${key} raised from ${av} to ${bv}`)] : [];
}

function upperCount(a: JsonSchemaObject, b: JsonSchemaObject, key: string, path: string): Issues {
  const bv = b[key];
  if (typeof bv !== 'number') return [];
  const av = a[key];
  if (typeof av !== 'number') return [issue(path, `${key} ${bv} added`)];
  return av > bv ? [issue(path, `${key} lowered from ${av} to ${bv}`)] : [];
}

function lowerBound(s: JsonSchemaObject, integer: boolean): Bound | undefined {
  const candidates: Bound[] = [];
  if (typeof s.minimum === 'number') candidates.push({ value: s.minimum, exclusive: false });
  if (typeof s.exclusiveMinimum === 'number') candidates.push({ value: s.exclusiveMinimum, exclusive: true });
  // Among integers `> 0` and `>= 1` are the same bound; normalise so they compare equal.
  const norm = candidates.map((c) =>
    integer ? { value: c.exclusive ? Math.floor(c.value) + 1 : Math.ceil(c.value), exclusive: false } : c,
  );
  return norm.reduce<Bound | undefined>(
    (best, c) => (!best || c.value > best.value || (c.value === best.value && c.exclusive) ? c : best),
    undefined,
  );
}

function upperBound(s: JsonSchemaObject, integer: boolean): Bound | undefined {
  const candidates: Bound[] = [];
  if (typeof s.maximum === 'number') candidates.push({ value: s.maximum, exclusive: false });
  if (typeof s.exclusiveMaximum === 'number') candidates.push({ value: s.exclusiveMaximum, exclusive: true });
  const norm = candidates.map((c) =>
    integer ? { value: c.exclusive ? Math.ceil(c.value) - 1 : Math.floor(c.value), exclusive: false } : c,
  );
  return norm.reduce<Bound | undefined>(
    (best, c) => (!best || c.value < best.value || (c.value === best.value && c.exclusive) ? c : best),
    undefined,
  );
}

function showBound(b: Bound, op: '>' | '<'): string {
  return `${op}${b.exclusive ? '' : '='} ${b.value}`;
}

function isMultiple(value: number, divisor: number): boolean {
  const q = value / divisor;
  return Math.abs(q - Math.round(q)) < 1e-9;
}

function enumerated(s: JsonSchemaObject): readonly unknown[] | undefined {
  if (s.const !== undefined) return [s.const];
  return Array.isArray(s.enum) ? (s.enum as unknown[]) : undefined;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function valueHasType(v: unknown, type: string): boolean {
  const t = jsonType(v);
  return t === type || (t === 'integer' && type === 'number');
}

function typeOf(s: JsonSchemaObject): string | undefined {
  if (typeof s.type === 'string') return s.type === 'integer' ? 'number' : s.type;
  const values = enumerated(s);
  const t = values?.[0] === undefined ? undefined : jsonType(values[0]);
  return t === 'integer' ? 'number' : t;
}

function sameType(a: JsonSchemaObject, b: JsonSchemaObject): boolean {
  const ta = typeOf(a);
  return ta !== undefined && ta === typeOf(b);
}

function describeType(s: JsonSchemaObject): string {
  const values = enumerated(s);
  if (values) return `value ${list(values)}`;
  return typeof s.type === 'string' ? `type ${s.type}` : 'a value';
}

function isUnconstrained(s: JsonSchemaObject): boolean {
  return Object.keys(s).every((k) => annotations.has(k));
}

function stripAnnotations(s: JsonSchemaObject): JsonSchemaObject {
  return Object.fromEntries(Object.entries(s).filter(([k]) => !annotations.has(k)));
}

function omit(s: JsonSchemaObject, key: string): JsonSchemaObject {
  const { [key]: _dropped, ...rest } = s;
  return rest;
}

/** Whether `b` sets an assertion keyword that `rest` already sets differently. */
function collides(rest: JsonSchemaObject, b: JsonSchema): boolean {
  if (typeof b === 'boolean') return false;
  return Object.keys(b).some((k) => !annotations.has(k) && k in rest && !deepEqual(rest[k], b[k]));
}

/** The conjunction of `rest` and `b`, as one object when no keyword collides. */
function merge(rest: JsonSchemaObject, b: JsonSchema): JsonSchema {
  if (b === false) return false;
  if (b === true) return rest;
  if (collides(rest, b)) return { ...rest, allOf: [...((rest.allOf as JsonSchema[] | undefined) ?? []), b] };
  return { ...rest, ...b };
}

function own(record: Record<string, JsonSchema>, key: string): JsonSchema | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function issue(path: string, message: string): CompatibilityIssue {
  return { path: path || '(root)', message };
}

function show(v: unknown): string {
  return JSON.stringify(v);
}

function list(values: readonly unknown[]): string {
  return values.map(show).join(', ');
}

function dedupe(issues: Issues): Issues {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function deepEqual(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => deepEqual(v, y[i]));
  const xo = x as Record<string, unknown>;
  const yo = y as Record<string, unknown>;
  const keys = Object.keys(xo);
  return keys.length === Object.keys(yo).length && keys.every((k) => Object.hasOwn(yo, k) && deepEqual(xo[k], yo[k]));
}

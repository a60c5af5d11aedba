import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CancellationReasonSchema,
  OrderCancelledV1Schema,
  OrderPlacedV1Schema,
  checkCatalogCompatibility,
  envelopeSchema,
  eventCatalog,
  type CatalogEntry,
} from '@orderflow/contracts';
import { readSnapshots, snapshotFileName, writeMissingSnapshots } from '../scripts/snapshot-store.js';

const snapshots = readSnapshots();

describe('published snapshots (snapshots/<type>@<version>.json)', () => {
  it('record the current schema of every catalogue entry', () => {
    const report = checkCatalogCompatibility(snapshots);
    expect(report.unsnapshotted, 'new or edited catalogue entries without a snapshot: run npm run snapshots').toEqual([]);
  });

  it('are all still in the catalogue (a published version is never removed)', () => {
    const report = checkCatalogCompatibility(snapshots);
    expect(report.removed, 'published versions removed from the catalogue').toEqual([]);
  });

  it.each(snapshots.map((s) => [`${s.type}@${s.version}`, s] as const))(
    '%s: the current schema reads every message valid under the snapshot',
    (_key, snapshot) => {
      const report = checkCatalogCompatibility([snapshot]);
      expect(
        report.breaking,
        'breaking change to a published version: revert it and add a new version to the catalogue instead',
      ).toEqual([]);
    },
  );
});

// Scenarios on a modified copy of the catalogue, compared with the real snapshots.
function replace(catalog: readonly CatalogEntry[], schema: z.ZodType, type: string, version = 1): CatalogEntry[] {
  return catalog.map((e) => (e.type === type && e.version === version ? { ...e, schema } : e));
}

const placedData = OrderPlacedV1Schema.shape.data;

describe('checkCatalogCompatibility on a modified catalogue', () => {
  it('reports a new required field in order.placed v1 as breaking', () => {
    const broken = envelopeSchema('order.placed', 1, placedData.extend({ giftWrap: z.boolean() }));
    const report = checkCatalogCompatibility(snapshots, replace(eventCatalog, broken, 'order.placed'));
    expect(report.breaking).toEqual([
      { key: 'order.placed@1', issues: [{ path: 'data.giftWrap', message: expect.stringContaining('now required') }] },
    ]);
  });

  it('reports a removed enum value as breaking', () => {
    const reason = CancellationReasonSchema.exclude(['CANCELLED_BY_CUSTOMER']);
    const broken = envelopeSchema('order.cancelled', 1, OrderCancelledV1Schema.shape.data.extend({ reason }));
    const report = checkCatalogCompatibility(snapshots, replace(eventCatalog, broken, 'order.cancelled'));
    expect(report.breaking).toEqual([
      {
        key: 'order.cancelled@1',
        issues: [{ path: 'data.reason', message: 'value "CANCELLED_BY_CUSTOMER" removed from the enum' }],
      },
    ]);
  });

  it('reports a stricter constraint and a narrowed type as breaking', () => {
    const stricter = envelopeSchema(
      'order.placed',
      1,
      placedData.extend({ customerId: z.string().min(1).max(50), items: placedData.shape.items.max(10) }),
    );
    const report = checkCatalogCompatibility(snapshots, replace(eventCatalog, stricter, 'order.placed'));
    expect(report.breaking[0]?.issues.map((i) => i.path)).toEqual(['data.customerId', 'data.items']);
  });

  it('accepts a new optional field and a widened enum', () => {
    const widened = envelopeSchema(
      'order.cancelled',
      1,
      OrderCancelledV1Schema.shape.data.extend({
        reason: z.enum([...CancellationReasonSchema.options, 'FRAUD_SUSPECTED']),
        note: z.string().optional(),
      }),
    );
    const report = checkCatalogCompatibility(snapshots, replace(eventCatalog, widened, 'order.cancelled'));
    expect(report.breaking).toEqual([]);
    expect(report.removed).toEqual([]);
    // Compatible, but not yet recorded: the edit needs a revision snapshot.
    expect(report.unsnapshotted).toEqual(['order.cancelled@1']);
  });

  it('accepts a breaking change made as a new version: v1 still matches its snapshot', () => {
    const v2 = envelopeSchema('order.placed', 2, placedData.extend({ giftWrap: z.boolean() }));
    const catalog: CatalogEntry[] = [
      ...eventCatalog,
      { type: 'order.placed', version: 2, source: 'order', summary: 'v2', schema: v2 },
    ];
    const report = checkCatalogCompatibility(snapshots, catalog);
    expect(report.breaking).toEqual([]);
    expect(report.removed).toEqual([]);
    // ...and the new version then needs its own snapshot.
    expect(report.unsnapshotted).toEqual(['order.placed@2']);
  });

  it('reports a removed published version', () => {
    const catalog = eventCatalog.filter((e) => e.type !== 'payment.refunded');
    expect(checkCatalogCompatibility(snapshots, catalog).removed).toEqual(['payment.refunded@1']);
  });
});

describe('writeMissingSnapshots', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const committed = (file: string) => readFileSync(new URL(`../snapshots/${file}`, import.meta.url), 'utf8');
  const withNote = (note: z.ZodType) =>
    replace(
      eventCatalog,
      envelopeSchema('order.cancelled', 1, OrderCancelledV1Schema.shape.data.extend({ note: note.optional() })),
      'order.cancelled',
    );

  it('writes exactly the committed snapshots into an empty directory, then nothing', () => {
    dir = mkdtempSync(join(tmpdir(), 'contracts-snapshots-'));
    const { written, refused } = writeMissingSnapshots(dir);
    expect(refused).toEqual([]);
    expect([...written].sort()).toEqual(readdirSync(new URL('../snapshots/', import.meta.url)).sort());
    for (const file of written) expect(readFileSync(join(dir, file), 'utf8')).toBe(committed(file));
    expect(writeMissingSnapshots(dir)).toEqual({ written: [], refused: [] });
  });

  it('records a compatible edit as a new revision, never overwriting, and checks later edits against it', () => {
    dir = mkdtempSync(join(tmpdir(), 'contracts-snapshots-'));
    writeMissingSnapshots(dir);
    const original = readFileSync(join(dir, snapshotFileName('order.cancelled', 1)), 'utf8');

    // A compatible edit is reported until it is recorded...
    expect(checkCatalogCompatibility(readSnapshots(dir), withNote(z.string())).unsnapshotted).toEqual(['order.cancelled@1']);
    expect(writeMissingSnapshots(dir, withNote(z.string())).written).toEqual(['order.cancelled@1.rev2.json']);
    expect(readFileSync(join(dir, snapshotFileName('order.cancelled', 1)), 'utf8')).toBe(original);
    expect(checkCatalogCompatibility(readSnapshots(dir), withNote(z.string()))).toEqual({
      unsnapshotted: [],
      removed: [],
      breaking: [],
    });

    // ...and once messages with a string `note` may exist, making it a number breaks rev2.
    const later = withNote(z.number());
    expect(checkCatalogCompatibility(readSnapshots(dir), later).breaking).toEqual([
      { key: 'order.cancelled@1.rev2', issues: [{ path: 'data.note', message: 'type changed from string to number' }] },
    ]);
    const refusedRun = writeMissingSnapshots(dir, later);
    expect(refusedRun.written).toEqual([]);
    expect(refusedRun.refused.map((r) => r.key)).toEqual(['order.cancelled@1']);
  });

  it('refuses to record a breaking edit', () => {
    dir = mkdtempSync(join(tmpdir(), 'contracts-snapshots-'));
    writeMissingSnapshots(dir);
    const broken = envelopeSchema('order.placed', 1, placedData.extend({ giftWrap: z.boolean() }));
    const result = writeMissingSnapshots(dir, replace(eventCatalog, broken, 'order.placed'));
    expect(result.written).toEqual([]);
    expect(result.refused).toEqual([{ key: 'order.placed@1', issues: [expect.objectContaining({ path: 'data.giftWrap' })] }]);
    expect(readdirSync(dir)).toHaveLength(eventCatalog.length);
  });
});

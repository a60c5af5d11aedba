import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { buildAsyncApiDocument, eventCatalog, eventTypes } from '@orderflow/contracts';
import { asyncApiPath, renderAsyncApiYaml } from '../scripts/asyncapi-yaml.js';

// Spectral severities: 0 error, 1 warning, 2 information, 3 hint.
async function errorsOf(doc: unknown): Promise<string[]> {
  const diagnostics = await new Parser().validate(doc as Parameters<Parser['validate']>[0]);
  return diagnostics.filter((d) => Number(d.severity) === 0).map((d) => `${d.path.join('/')}: ${d.message}`);
}

interface Doc {
  channels: Record<string, { address: string; messages: Record<string, unknown>; parameters: Record<string, unknown> }>;
  operations: Record<string, { action: string; tags: { name: string }[]; messages: { $ref: string }[] }>;
  components: { messages: Record<string, { name: string; payload: { properties: Record<string, unknown> } }> };
}

describe('AsyncAPI document', () => {
  const doc = buildAsyncApiDocument() as unknown as Doc;

  it('is a valid AsyncAPI 3 document', async () => {
    expect(await errorsOf(doc)).toEqual([]);
  }, 30_000);

  it('is checked by the parser (a broken reference is an error)', async () => {
    const broken = structuredClone(doc);
    const op = Object.values(broken.operations)[0]!;
    op.messages = [{ $ref: '#/channels/nowhere/messages/none' }];
    expect(await errorsOf(broken)).not.toEqual([]);
  }, 30_000);

  it('has one channel per type, one message per version and one send operation per type', () => {
    expect(Object.values(doc.channels).map((c) => c.address)).toEqual(eventTypes.map((t) => `${t}.{orderId}`));
    expect(Object.keys(doc.components.messages)).toHaveLength(eventCatalog.length);
    const ops = Object.values(doc.operations);
    expect(ops).toHaveLength(eventTypes.length);
    expect(ops.every((o) => o.action === 'send')).toBe(true);
    const placed = doc.operations.sendOrderPlaced!;
    expect(placed.tags).toEqual([{ name: 'order' }]);
    expect(placed.messages).toEqual([{ $ref: '#/channels/orderPlaced/messages/orderPlacedV1' }]);
    expect(doc.components.messages.orderPlacedV1?.payload.properties).toHaveProperty('correlationId');
  });

  it('is deterministic', () => {
    expect(renderAsyncApiYaml()).toBe(renderAsyncApiYaml());
  });

  it('is committed up to date in docs/asyncapi.yaml', () => {
    let committed = '';
    try {
      committed = readFileSync(asyncApiPath, 'utf8');
    } catch {
      // reported by the assertion below
    }
    expect(committed === renderAsyncApiYaml(), 'docs/asyncapi.yaml is out of date: run npm run asyncapi').toBe(true);
  });
});

import { eventCatalog, eventTypes, type CatalogEntry } from './catalog.js';
import type { EventType } from './events.js';
import { eventJsonSchema, type JsonSchemaObject } from './json-schema.js';
import { serviceStreams } from './subjects.js';

/** `order.placed` → `orderPlaced`: AsyncAPI ids are plain identifiers. */
function idOf(type: EventType): string {
  return type.replace(/[.-](\w)/g, (_m, c: string) => c.toUpperCase());
}

function messageId(entry: CatalogEntry): string {
  return `${idOf(entry.type)}V${entry.version}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The payload as an AsyncAPI schema: draft-07 JSON Schema, minus `$schema` (AsyncAPI's default format already says so). */
function payloadSchema(entry: CatalogEntry): JsonSchemaObject {
  const { $schema: _dialect, ...schema } = eventJsonSchema(entry);
  return schema;
}

const headersSchema = {
  type: 'object',
  properties: {
    'Nats-Msg-Id': {
      type: 'string',
      format: 'uuid',
      description:
        'The envelope `id`. JetStream drops a re-publish with the same id inside the stream\'s duplicate window, so a relay that crashed after publishing but before marking the outbox row can safely publish again.',
    },
    traceparent: {
      type: 'string',
      pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
      description: 'W3C Trace Context of the producing span, when the producer was traced.',
    },
  },
  required: ['Nats-Msg-Id'],
} as const;

const description = `Every event of the order fulfilment choreography, generated from the zod schemas of \`@orderflow/contracts\`.

- **Envelope**: the JSON body of every message is \`{ id, type, version, occurredAt, source, correlationId, causationId, orderId, data }\`; \`version\` is the schema version of \`data\`.
- **Subjects**: \`<type>.<orderId>\`. Each publishing service owns one stream: ${serviceStreams()
  .map((s) => `\`${s.name}\` (${s.subjects.map((x) => `\`${x}\``).join(', ')})`)
  .join(', ')}.
- **Delivery**: at least once. Consumers de-duplicate on \`id\` and reject (dead-letter) a version they cannot read.
- **Versions**: a version, once published, only changes in backward-compatible ways; a breaking change is a new version, published alongside the old one.`;

/**
 * Builds the AsyncAPI 3.0.0 document of the event catalogue: one channel per event type
 * (`<type>.{orderId}`), one message per (type, version) with the envelope as payload, the NATS
 * headers and the correlation id, and one `send` operation per type for the service that
 * publishes it. Pure and deterministic (catalogue order, no timestamps), so the committed
 * `docs/asyncapi.yaml` can be compared with a fresh build.
 */
export function buildAsyncApiDocument(): Record<string, unknown> {
  const byType = new Map<EventType, CatalogEntry[]>();
  for (const type of eventTypes) byType.set(type, eventCatalog.filter((e) => e.type === type));

  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};

  for (const [type, entries] of byType) {
    const id = idOf(type);
    const newest = entries.reduce((a, b) => (b.version > a.version ? b : a));
    channels[id] = {
      address: `${type}.{orderId}`,
      title: type,
      summary: newest.summary,
      messages: Object.fromEntries(entries.map((e) => [messageId(e), { $ref: `#/components/messages/${messageId(e)}` }])),
      parameters: { orderId: { $ref: '#/components/parameters/orderId' } },
    };
    operations[`send${capitalise(id)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: `The ${newest.source} service publishes ${type}.`,
      tags: [{ name: newest.source }],
      // Operation messages must point at the channel's messages, not at components.
      messages: entries.map((e) => ({ $ref: `#/channels/${id}/messages/${messageId(e)}` })),
    };
    for (const e of entries) {
      messages[messageId(e)] = {
        name: e.type,
        title: `${e.type} v${e.version}`,
        summary: e.summary,
        contentType: 'application/json',
        tags: [{ name: e.source }],
        headers: { $ref: '#/components/schemas/NatsHeaders' },
        correlationId: { $ref: '#/components/correlationIds/correlationId' },
        payload: payloadSchema(e),
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Orderflow events',
      // The document's own version; each message carries its schema version in its title and payload.
      version: '1.0.0',
      description,
    },
    defaultContentType: 'application/json',
    servers: {
      nats: {
        host: 'localhost:4222',
        protocol: 'nats',
        description: 'NATS with JetStream (2.9 or newer). Services read the URL from NATS_URL.',
      },
    },
    channels,
    operations,
    components: {
      messages,
      schemas: { NatsHeaders: headersSchema },
      parameters: {
        orderId: { description: 'The order the event belongs to (a UUID); the last token of the subject.' },
      },
      correlationIds: {
        correlationId: {
          description:
            'Id of the HTTP request that started the flow, copied to every event that follows from it; one order can be traced across all five services with it.',
          location: '$message.payload#/correlationId',
        },
      },
    },
  };
}

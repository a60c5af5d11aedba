export {
  ServiceName,
  ServiceNameSchema,
  EnvelopeHeaderSchema,
  envelopeSchema,
} from './envelope.js';
export {
  SkuSchema,
  CurrencySchema,
  MoneyCentsSchema,
  CountrySchema,
  OrderLineSchema,
  PricedLineSchema,
  ShippingAddressSchema,
  CancellationReason,
  CancellationReasonSchema,
  OrderPlacedV1Schema,
  OrderConfirmedV1Schema,
  OrderCancelledV1Schema,
  InventoryReservedV1Schema,
  InventoryRejectedV1Schema,
  InventoryReleasedV1Schema,
  PaymentAuthorizedV1Schema,
  PaymentDeclinedV1Schema,
  PaymentRefundedV1Schema,
  ShipmentScheduledV1Schema,
  ShipmentFailedV1Schema,
  ShipmentCancelledV1Schema,
  NotificationSentV1Schema,
} from './events.js';
export { eventCatalog, eventTypes, findSchema, latestVersion, isEventType } from './catalog.js';
export { createEvent } from './create-event.js';
export { decodeEvent, EventDecodeError, isEventDecodeError, DecodeFailure } from './decode.js';
export {
  subjectFor,
  subjectFilter,
  typeOfSubject,
  serviceStreams,
  streamOf,
  streamForType,
  deadLetterStream,
  deadLetterSubject,
} from './subjects.js';
export { toEventJsonSchema, eventJsonSchema, JSON_SCHEMA_DRAFT } from './json-schema.js';
export { checkBackwardCompatibility, checkCatalogCompatibility } from './compatibility.js';
export { buildAsyncApiDocument } from './asyncapi.js';
export { exampleEvent } from './examples.js';

export type { EnvelopeHeader } from './envelope.js';
export type {
  OrderPlaced,
  OrderConfirmed,
  OrderCancelled,
  InventoryReserved,
  InventoryRejected,
  InventoryReleased,
  PaymentAuthorized,
  PaymentDeclined,
  PaymentRefunded,
  ShipmentScheduled,
  ShipmentFailed,
  ShipmentCancelled,
  NotificationSent,
  OrderEvent,
  InventoryEvent,
  PaymentEvent,
  ShippingEvent,
  NotificationEvent,
  DomainEvent,
  EventType,
  EventOf,
  EventData,
} from './events.js';
export type { CatalogEntry } from './catalog.js';
export type { EventDraft, EventOrigin, AnyEventDraft } from './create-event.js';
export type { Namespace, StreamDefinition } from './subjects.js';
export type { JsonSchema, JsonSchemaObject } from './json-schema.js';
export type {
  CompatibilityIssue,
  CompatibilityResult,
  PublishedSchema,
  CatalogCompatibilityReport,
} from './compatibility.js';
export type { ExampleOverrides } from './examples.js';

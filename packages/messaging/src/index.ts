export { runWithContext, enterContext, currentContext } from './context.js';
export { parseTraceparent, formatTraceparent, childTraceparent } from './trace.js';
export { noopMetrics } from './metrics.js';
export { PermanentError, isPermanentError, NotReadyError, isNotReadyError } from './errors.js';
export { silentLogger } from './logger.js';
export { outbox, inbox } from './schema.js';
export { messagingMigrations } from './migrations.js';
export { collectOutbox, enqueue, toOutboxRecords } from './outbox.js';
export { createOutboxRelay } from './relay.js';
export { createPubAckPublisher } from './pub-acks.js';
export { commitInOneRoundTrip, createGroupCommit, inlineQuery, literalOf, mergeWrites, quoteLiteral, type MergeableWrite, type Write } from './one-round-trip.js';
export { ensureStreams, ensureConsumer } from './provision.js';
export { createConsumerRunner, eventFailed } from './consumer-runner.js';
export { createSharedTransactions, isSharedTransactionError, layersOf, runParts, SharedTransactionError } from './shared-transactions.js';
export { retryDelay, defaultRetryPolicy, defaultWaitPolicy } from './backoff.js';
export { isInfrastructureError } from './infra-errors.js';
export {
  DeadLetterHeader,
  publishDeadLetter,
  listDeadLetters,
  replayDeadLetter,
  discardDeadLetter,
} from './dead-letters.js';
export { createDirectPublisher, createOutboxPublisher } from './publisher.js';

export type { MessageContext } from './context.js';
export type { TraceParent } from './trace.js';
export type { MessagingMetrics, ConsumeOutcome } from './metrics.js';
export type { SqlExecutor } from './db.js';
export type { Logger } from './logger.js';
export type { CommittedOutboxRow, EnqueueOptions, OutboxRecord } from './outbox.js';
export type { OutboxRelay, OutboxRelayOptions } from './relay.js';
export type { PubAck, PubAckPublisher } from './pub-acks.js';
export type { GroupCommitOptions, ParameterizedQuery } from './one-round-trip.js';
export type { StreamSettings, ConsumerDefinition } from './provision.js';
export type { BatchEventHandler, BatchHandlerContext, EventFailure, ConsumerRunner, ConsumerRunnerOptions, EventHandler, HandlerContext } from './consumer-runner.js';
export type { RetryPolicy } from './backoff.js';
export type { BegunPart, PartCommit, SharedTransactions, SharedTransactionsOptions, TransactionPart } from './shared-transactions.js';
export type { DeadLetter, DeadLetterReason } from './dead-letters.js';
export type { EventPublisher } from './publisher.js';

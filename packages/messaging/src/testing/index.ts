export { readStream, readEvents, waitForEvent } from './streams.js';
export { describeMessagingBehaviour, sampleOrderPlaced } from './behaviour-suite.js';

export type { StoredEvent } from './streams.js';
export type { MessagingHarness } from './behaviour-suite.js';

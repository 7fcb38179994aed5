/** NATS transport (product.md §4): a bus worker, a client library and their CLI commands. */
export { startWorker, memoryBus, bucketFor, DEFAULT_CONSUMER, DEFAULT_MAX_BYTES, DEFAULT_STOP_TIMEOUT_MS, DEFAULT_STREAM, type DurableOptions, type Worker, type WorkerOptions, type WorkerParts } from './server.js';
export { DEFAULT_LEASE_MS } from './leases.js';
export { KvTwinStore } from './twin-store.js';
export { HandOffSchema, type HandOff } from './hand-off.js';
export { connectCapBus, CapBusError, readReceiptReply, type CapBusClient, type ClientOptions, type EmitOptions } from './client.js';
export { natsCli, emitOverNats, type NatsEmitOptions } from './cli.js';
export { connectionOptions, DEFAULT_SERVER, type NatsConnectOptions } from './connection.js';
export { CONTENT_TYPE, HEADER, HOP_LIMIT, capHeaders, type CapMeta, type Encoding } from './headers.js';
export { RECEIPT_BUCKET } from './receipt-store.js';
export { Refused, type ErrorReply, type RefusalCode } from './refusal.js';
export { DEFAULT_PREFIX, DEFAULT_QUEUE, subjectsFor, type Subjects } from './subjects.js';
export type { Submission } from './submission.js';
export type { LogRecord, Logger } from './log.js';

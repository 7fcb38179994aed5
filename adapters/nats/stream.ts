import { DiscardPolicy, nanos, type JetStreamManager, type StreamConfig } from 'nats';

/**
 * How big the CAPBUS stream may grow. Neither limit ever removes a cap no worker has acknowledged:
 * - `maxBytes` is enforced with discard policy `new`: a full stream refuses new caps (the sender
 *   hears no receipt and may retry) rather than deleting stored ones;
 * - acknowledged caps are trimmed by the worker (trimAcknowledged below), so in steady state the
 *   stream holds little more than the backlog;
 * - `maxAgeMs` is JetStream's own age limit, which removes caps by age alone, acknowledged or
 *   not; it is off unless asked for, and should then exceed the longest outage to be sat out.
 * (Interest retention would do the trimming inside the server, but lost caps across a restart of
 * Debian's nats-server 2.9.10 in our fault test; see ROADMAP.)
 */
export interface StreamLimits {
  /** 0: no age limit */
  maxAgeMs?: number;
  /** 0: no size limit */
  maxBytes?: number;
}

export const DEFAULT_STREAM_MAX_BYTES = 1024 ** 3;
export const DEFAULT_STREAM_MAX_AGE_MS = 0;
/** how often a durable worker trims acknowledged caps */
export const TRIM_EVERY_MS = 30_000;

function limitsConfig(limits: StreamLimits): Pick<StreamConfig, 'max_age' | 'max_bytes' | 'discard'> {
  const maxAgeMs = limits.maxAgeMs ?? DEFAULT_STREAM_MAX_AGE_MS;
  const maxBytes = limits.maxBytes ?? DEFAULT_STREAM_MAX_BYTES;
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs < 0) throw new Error(`stream max age must be a whole number of milliseconds >= 0, got ${maxAgeMs}`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new Error(`stream max bytes must be a whole number >= 0, got ${maxBytes}`);
  return { max_age: nanos(maxAgeMs), max_bytes: maxBytes === 0 ? -1 : maxBytes, discard: DiscardPolicy.New };
}

/**
 * Creates the stream when missing and sets its limits (an existing stream is updated when they
 * differ); refuses a stream of that name that does not carry our cap subjects.
 */
export async function ensureCapStream(jsm: JetStreamManager, name: string, capSubjects: string, limits: StreamLimits = {}): Promise<void> {
  const wanted = limitsConfig(limits);
  const info = await jsm.streams.info(name).catch((error: { api_error?: { err_code?: number } }) => {
    if (error.api_error?.err_code === 10059) return null; // stream not found
    throw error;
  });
  if (info === null) {
    await jsm.streams.add({ name, subjects: [capSubjects], ...wanted });
    return;
  }
  if (!info.config.subjects?.includes(capSubjects)) {
    throw new Error(`JetStream stream ${name} exists over ${(info.config.subjects ?? []).join(', ') || 'no subjects'}, not ${capSubjects}; choose another stream name`);
  }
  const { max_age, max_bytes, discard } = info.config;
  if (max_age !== wanted.max_age || max_bytes !== wanted.max_bytes || discard !== wanted.discard) {
    await jsm.streams.update(name, { ...info.config, ...wanted });
  }
}

/**
 * Removes the caps every consumer of the stream has acknowledged (those at or below the lowest
 * ack floor); returns how many were removed. With no consumer, nothing is known to be done, so
 * nothing is removed.
 */
export async function trimAcknowledged(jsm: JetStreamManager, stream: string): Promise<number> {
  const consumers = await jsm.consumers.list(stream).next();
  if (consumers.length === 0) return 0;
  const floor = Math.min(...consumers.map((c) => c.ack_floor.stream_seq));
  if (floor < 1) return 0;
  return (await jsm.streams.purge(stream, { seq: floor + 1 })).purged;
}

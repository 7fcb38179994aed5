import { headers as natsHeaders, Match, type MsgHdrs } from 'nats';
import { Refused } from './refusal.js';
import { isPublishSubject } from './subjects.js';

/** Header names and values of the cap transport (product.md §4). */
export const HEADER = {
  contentType: 'Content-Type',
  /** sender's causal clock; on replies, the rank the bus gave the cap */
  lamport: 'Tibet-Lamport',
  hop: 'Tibet-Hop',
  maxHops: 'Tibet-Max-Hops',
  error: 'Tibet-Error',
  /** where a durable (JetStream) cap's receipt goes: stream messages carry no reply inbox */
  reply: 'Tibet-Reply',
} as const;

export type Encoding = 'json' | 'cose';
export const CONTENT_TYPE: Readonly<Record<Encoding, string>> = { json: 'application/json', cose: 'application/cose' };

/** The highest Tibet-Max-Hops accepted, as for the CLI's --hops: each fork hop doubles a chain. */
export const HOP_LIMIT = 64;

/** What the headers of one cap message say. */
export interface CapMeta {
  encoding: Encoding;
  lamport?: number;
  hop: number;
  maxHops: number;
  reply?: string;
}

/** A header's value, undefined when absent or empty; names match in any case, as senders in other languages may write them. */
export function header(hdrs: MsgHdrs | undefined, name: string): string | undefined {
  const value = hdrs?.get(name, Match.IgnoreCase);
  return value === undefined || value === '' ? undefined : value;
}

export function encodingOf(hdrs: MsgHdrs | undefined): Encoding {
  const raw = header(hdrs, HEADER.contentType);
  if (raw === undefined) throw new Refused('bad-content-type', `missing ${HEADER.contentType}; send ${CONTENT_TYPE.json} or ${CONTENT_TYPE.cose}`);
  const media = raw.split(';')[0]!.trim().toLowerCase();
  if (media === CONTENT_TYPE.json) return 'json';
  if (media === CONTENT_TYPE.cose) return 'cose';
  throw new Refused('bad-content-type', `${HEADER.contentType} ${JSON.stringify(raw)} is not ${CONTENT_TYPE.json} or ${CONTENT_TYPE.cose}`);
}

function integer(hdrs: MsgHdrs | undefined, name: string, min: number, max: number): number | undefined {
  const raw = header(hdrs, name);
  if (raw === undefined) return undefined;
  const value = /^\d{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Refused('bad-header', `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Reads and checks the headers of a cap message; throws Refused naming the bad header. */
export function readCapMeta(hdrs: MsgHdrs | undefined, defaultMaxHops: number): CapMeta {
  const encoding = encodingOf(hdrs);
  const lamport = integer(hdrs, HEADER.lamport, 0, Number.MAX_SAFE_INTEGER);
  const maxHops = integer(hdrs, HEADER.maxHops, 1, HOP_LIMIT) ?? defaultMaxHops;
  const hop = integer(hdrs, HEADER.hop, 0, HOP_LIMIT) ?? 0;
  if (hop >= maxHops) throw new Refused('bad-header', `${HEADER.hop} ${hop} is not below ${HEADER.maxHops} ${maxHops}: the chain is already at its bound`);
  const reply = header(hdrs, HEADER.reply);
  if (reply !== undefined && !isPublishSubject(reply)) throw new Refused('bad-header', `${HEADER.reply} ${JSON.stringify(reply)} is not a subject one can publish to`);
  return { encoding, lamport, hop, maxHops, reply };
}

/** The reply subject a durable cap asked for, if it names a usable one (read even when the rest is bad, to answer). */
export function replyHeader(hdrs: MsgHdrs | undefined): string | undefined {
  const reply = header(hdrs, HEADER.reply);
  return reply !== undefined && isPublishSubject(reply) ? reply : undefined;
}

/** Headers of an outgoing cap; what is left out, the worker defaults (hop 0, its own max hops). */
export function capHeaders(meta: Pick<CapMeta, 'encoding'> & Partial<CapMeta>): MsgHdrs {
  const hdrs = natsHeaders();
  hdrs.set(HEADER.contentType, CONTENT_TYPE[meta.encoding]);
  if (meta.lamport !== undefined) hdrs.set(HEADER.lamport, String(meta.lamport));
  if (meta.hop !== undefined) hdrs.set(HEADER.hop, String(meta.hop));
  if (meta.maxHops !== undefined) hdrs.set(HEADER.maxHops, String(meta.maxHops));
  if (meta.reply !== undefined) hdrs.set(HEADER.reply, meta.reply);
  return hdrs;
}

/** Headers of a receipt: its encoding and (when known) the cap's causal rank, so the sender's clock can follow. */
export function receiptHeaders(encoding: Encoding, causalRank?: number): MsgHdrs {
  const hdrs = natsHeaders();
  hdrs.set(HEADER.contentType, CONTENT_TYPE[encoding]);
  if (causalRank !== undefined) hdrs.set(HEADER.lamport, String(causalRank));
  return hdrs;
}

export function errorHeaders(code: string): MsgHdrs {
  const hdrs = natsHeaders();
  hdrs.set(HEADER.contentType, CONTENT_TYPE.json);
  hdrs.set(HEADER.error, code);
  return hdrs;
}

import { z } from 'zod';
import { AdmittedCapSchema } from '../../src/records/result.js';
import { HOP_LIMIT, type CapMeta } from './headers.js';
import { isPublishSubject } from './subjects.js';

/**
 * A cap admitted by one worker and handed to the owner of its partition over
 * `<prefix>.part.<p>` (product.md §7). A message there carries a JSON array of these, the
 * hand-offs one worker had for that partition in one turn of its event loop, so the hop's cost
 * per message (NATS, the request and its answer) is shared. What the cap's headers said that
 * the owner needs travels in the record.
 */
export const HandOffSchema = z
  .object({
    /** this hand-off's id: one sent again after its answer was lost still runs once */
    hand_off: z.string().min(1).max(64),
    /** the cap_id the message named, for the receipt subject and the durable receipt store */
    cap_id: z.string().min(1),
    admitted: AdmittedCapSchema,
    /** durable mode: the JetStream ack subject of the cap's delivery; the owner acks it once the receipt is stored */
    ack: z
      .string()
      .regex(/^\$JS\.ACK\.[^\s*>]+$/, 'ack must be a JetStream ack subject ($JS.ACK.…)')
      .nullable(),
    /** where the sender wants the receipt (the request's reply subject or Tibet-Reply); null: nowhere */
    reply: z.string().refine(isPublishSubject, 'reply must be a subject one can publish to').nullable(),
    /** the cap's encoding (its Content-Type): the receipt goes back in the same */
    encoding: z.enum(['json', 'cose']),
    /** Tibet-Hop and Tibet-Max-Hops of the cap: its follow-ups go one hop further, bounded alike */
    hop: z.number().int().min(0).max(HOP_LIMIT),
    max_hops: z.number().int().min(1).max(HOP_LIMIT),
  })
  .strict()
  .refine((handOff) => handOff.hop < handOff.max_hops, { message: 'hop must be below max_hops', path: ['hop'] })
  .meta({ id: 'HandOff', title: 'HandOff', description: 'A cap admitted by one worker, handed to the owner of its partition.' });

export type HandOff = z.output<typeof HandOffSchema>;

/** A cap ready for its lane: admitted here, or taken from a hand-off. */
export interface Arrival extends Pick<HandOff, 'hand_off' | 'cap_id' | 'admitted' | 'ack'> {
  /** what the cap's headers said (the hand-off carries what the owner needs of it) */
  meta: CapMeta;
  /** performance.now() when this worker took the message (or the hand-off) up */
  receivedAt: number;
}

/** The record a worker hands an arrival over as. */
export function handOffOf({ hand_off, cap_id, admitted, ack, meta }: Arrival): HandOff {
  return { hand_off, cap_id, admitted, ack, reply: meta.reply ?? null, encoding: meta.encoding, hop: meta.hop, max_hops: meta.maxHops };
}

/** The arrival a hand-off makes at its owner. */
export function arrivalOf({ hand_off, cap_id, admitted, ack, reply, encoding, hop, max_hops }: HandOff, receivedAt: number): Arrival {
  return { hand_off, cap_id, admitted, ack, meta: { encoding, hop, maxHops: max_hops, ...(reply === null ? {} : { reply }) }, receivedAt };
}

/** What the owner answers for one hand-off (in the array that answers a message). */
export const TAKEN = 'taken';
/** the answer to a whole message: the partition is not (or no longer) this worker's, so the sender tries again */
export const NOT_OWNER = 'not-owner';
/** how the answer for a hand-off that is never run begins; the rest says why */
export const BAD_HAND_OFF = 'bad hand-off';

import { z } from 'zod';
import { AdmittedCapSchema } from '../../src/records/result.js';
import type { CapMeta } from './headers.js';

/**
 * A cap admitted by one worker and handed to the owner of its partition over
 * `<prefix>.part.<p>` (product.md §7). The sender's reply subject, Lamport and hop travel as the
 * same headers a cap message carries (capHeaders); this is the body.
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
  })
  .strict()
  .meta({ id: 'HandOff', title: 'HandOff', description: 'A cap admitted by one worker, handed to the owner of its partition.' });

export type HandOff = z.output<typeof HandOffSchema>;

/** A cap ready for its lane: the hand-off plus what its headers said. */
export interface Arrival extends HandOff {
  meta: CapMeta;
  /** performance.now() when this worker took the message (or the hand-off) up */
  receivedAt: number;
}

/** What the owner answers a hand-off with (body text). */
export const TAKEN = 'taken';
/** the partition is not (or no longer) this worker's: the sender tries again */
export const NOT_OWNER = 'not-owner';

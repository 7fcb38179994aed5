import { z } from 'zod';

const TRUST_LEVELS = ['jis', 'self-signed', 'bus', 'unsealed', 'refused'] as const;

/**
 * What the verify step established about a cap. `content_hash` is the SHA-256 of the cap's
 * CBOR payload: of the sealed bytes as received, or (for an unsealed cap on a sealing bus) of its
 * deterministic encoding, so the bus-sealed receipt still pins its exact content.
 */
export const CapSealSchema = z
  .object({
    trust: z.enum(TRUST_LEVELS),
    verified: z.boolean(),
    content_hash: z.string().nullable(),
    /** `ed25519:<hex>` of the key that sealed the cap */
    kid: z.string().nullable(),
    /** base64 COSE_Sign1 of a sealed cap */
    cose: z.string().nullable(),
    /** base64 deterministic CBOR of an unsealed cap, when a content hash was taken */
    cbor: z.string().nullable(),
  })
  .meta({ id: 'CapSeal', title: 'CapSeal', description: 'How a cap was sealed and trusted.' });

export type CapSeal = z.output<typeof CapSealSchema>;

export const ReceiptSealSchema = z
  .object({ content_hash: z.string(), cose: z.string() })
  .meta({ id: 'ReceiptSeal', title: 'ReceiptSeal', description: 'A receipt sealed with the bus key.' });

/** The seals of one execution: the cap's, its receipt's and those of the follow-ups it spawned. */
export const ResultSealSchema = z
  .object({
    cap: CapSealSchema,
    receipt: ReceiptSealSchema.nullable(),
    spawned: z.array(CapSealSchema),
  })
  .meta({ id: 'ResultSeal', title: 'ResultSeal' });

export type ResultSeal = z.output<typeof ResultSealSchema>;

export const UNSEALED: CapSeal = { trust: 'unsealed', verified: false, content_hash: null, kid: null, cose: null, cbor: null };

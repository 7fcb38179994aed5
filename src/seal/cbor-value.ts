/**
 * The value model CBOR for sealing works in: the JSON data model, plus byte strings (Uint8Array),
 * tags (Tagged) and maps with integer keys (Map), which COSE headers need. Maps whose keys are all
 * text decode to plain objects.
 */

/** A tagged item, e.g. COSE_Sign1 = tag 18 around a 4-element array. */
export class Tagged {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

export type CborKey = number | string;
export type CborValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | Tagged
  | CborValue[]
  | Map<CborKey, CborValue>
  | { [key: string]: CborValue };

/** Nesting bound for both directions: stops cyclic records and stack-exhausting input. */
export const MAX_DEPTH = 256;

/**
 * Why the transport refused a message before the bus saw it. Each code travels as the
 * `Tibet-Error` header and the `error` field of the JSON reply. (What the bus itself refuses, e.g.
 * a bad seal, gets a rejected receipt instead.)
 */
export type RefusalCode =
  | 'too-large'
  | 'bad-content-type'
  | 'bad-header'
  | 'bad-subject'
  | 'subject-mismatch'
  | 'bad-json'
  | 'bad-cap'
  | 'bad-cose'
  /** the worker stopped before the cap's partition had an owner: nothing ran, send it again */
  | 'unavailable'
  | 'internal';

export class Refused extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/** The wire body of a refusal. */
export interface ErrorReply {
  error: string;
  message: string;
}

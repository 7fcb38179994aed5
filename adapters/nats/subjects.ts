import { INTENT_PATTERN } from '../../src/records/cap.js';

/** The subjects of product.md §4, under a configurable prefix. */

export const DEFAULT_PREFIX = 'capbus';
export const DEFAULT_QUEUE = 'capbus';

export interface Subjects {
  readonly prefix: string;
  /** what workers subscribe to: every cap subject */
  readonly caps: string;
  readonly gateway: string;
  cap(intent: string): string;
  /** where caps of partition p go to its owner (workers only: senders may not publish there) */
  part(partition: number): string;
  receipt(capId: string): string;
  /** the intent part of a cap subject (unchecked), or null when the subject is not a cap subject */
  intentOf(subject: string): string | null;
}

export function subjectsFor(prefix: string = DEFAULT_PREFIX): Subjects {
  // The prefix heads every subject, so it follows the intent grammar: dotted plain tokens, no wildcards.
  if (!INTENT_PATTERN.test(prefix)) throw new Error(`subject prefix ${JSON.stringify(prefix)} must be dot-separated tokens of A-Z a-z 0-9 _ -`);
  const capHead = `${prefix}.cap.`;
  return {
    prefix,
    caps: `${capHead}>`,
    gateway: `${prefix}.event.gateway`,
    cap: (intent) => capHead + intent,
    part: (partition) => `${prefix}.part.${partition}`,
    receipt: (capId) => `${prefix}.receipt.${capId}`,
    intentOf: (subject) => (subject.startsWith(capHead) ? subject.slice(capHead.length) : null),
  };
}

/** A subject a message may be published to: non-empty tokens, no wildcards, no whitespace. */
export function isPublishSubject(text: string): boolean {
  return text.length > 0 && text.length <= 1024 && text.split('.').every((token) => token.length > 0 && !/[\s*>]/.test(token));
}

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { describeIssues } from '../../src/records/cap.js';
import { isPlainObject, sortedJson } from '../../src/json.js';
import { CHECK_NAMES, ValueDeltaSchema } from './state.js';

const HASH = z.string().regex(/^sha256:[0-9a-f]{64}$/);

/**
 * One guard decision as a provenance token in four layers. Tokens form one chain per guard
 * (not per device): each names the hash of the guard's previous token, so the whole record of
 * decisions has a single order and dropping or reordering any token breaks the chain.
 */
export const TwinAuditTokenSchema = z
  .object({
    seq: z.number().int().nonnegative(),
    /** what was decided, and the measured gaps */
    erin: z
      .object({
        decision: z.enum(['allowed', 'blocked']),
        reason: z.string(),
        failed_checks: z.array(z.enum(CHECK_NAMES)),
        drift_ms: z.number().nullable(),
        value_deltas: z.record(z.string(), ValueDeltaSchema),
      })
      .strict(),
    /** whose states these were, and the token before this one */
    eraan: z
      .object({
        device_id: z.string(),
        physical_actor: z.string().nullable(),
        twin_actor: z.string().nullable(),
        physical_reported_by: z.string().nullable(),
        twin_reported_by: z.string().nullable(),
        parent_hash: HASH.nullable(),
      })
      .strict(),
    /** where and when, under which thresholds */
    eromheen: z
      .object({
        guard_node: z.string(),
        timestamp: z.string(),
        profile: z.string().nullable(),
        max_drift_ms: z.number().nullable(),
        max_state_age_ms: z.number().nullable(),
      })
      .strict(),
    /** what was attempted and how much was at stake */
    erachter: z.object({ intent: z.string(), motion: z.boolean(), safety_critical: z.boolean() }).strict(),
    /** sha256 of the canonical JSON of every other field */
    hash: HASH,
  })
  .strict()
  .meta({ id: 'TwinAuditToken', title: 'TwinAuditToken', description: 'A hash-linked record of one twin guard decision.' });

export type TwinAuditToken = z.output<typeof TwinAuditTokenSchema>;
export type TwinAuditBody = Omit<TwinAuditToken, 'hash'>;

/** Canonical JSON (keys sorted at every depth) hashed, so any reader can recompute it. */
function auditHash(body: TwinAuditBody): string {
  return `sha256:${bytesToHex(sha256(utf8ToBytes(sortedJson(body))))}`;
}

export function sealAuditToken(body: TwinAuditBody): TwinAuditToken {
  return { ...body, hash: auditHash(body) };
}

export interface AuditChainCheck {
  valid: boolean;
  /** one line per broken token, `token <index>: …` */
  problems: string[];
}

/** Walks a chain from its first token: shape, sequence, parent links and every hash. */
export function verifyAuditChain(tokens: readonly unknown[]): AuditChainCheck {
  const problems: string[] = [];
  let previousHash: string | null = null;
  tokens.forEach((raw, index) => {
    const parsed = TwinAuditTokenSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(`token ${index}: not a TwinAuditToken (${describeIssues(parsed.error)})`);
      // keep following the links past a malformed token, so one bad token is one problem
      previousHash = isPlainObject(raw) && typeof raw.hash === 'string' ? raw.hash : null;
      return;
    }
    const { hash, ...body } = parsed.data;
    if (body.seq !== index) problems.push(`token ${index}: seq ${body.seq}, expected ${index}`);
    if (body.eraan.parent_hash !== previousHash) problems.push(`token ${index}: parent_hash does not name the previous token`);
    if (auditHash(body) !== hash) problems.push(`token ${index}: hash does not match its content`);
    previousHash = hash;
  });
  return { valid: problems.length === 0, problems };
}

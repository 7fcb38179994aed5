import type { Cap } from '../records/cap.js';
import type { Clock, IdSource } from '../clock.js';
import type { BusConfig } from '../config.js';
import type { Outcome } from '../policy/continuation.js';
import type { Details, ExecutorVerdict, Measurements } from '../records/verdict.js';
import type { LanePolicy } from '../policy/lane.js';
import type { CapReceipt } from '../records/receipt.js';
import type { DistributedCap } from '../records/distributed.js';
import type { ExecutionResult } from '../records/result.js';
import type { UsageEvent } from '../records/usage-event.js';
import type { CapSeal } from '../records/seal-facts.js';
import type { SealedRead } from '../seal/seal.js';

/**
 * The phases of the pipeline, each an interface so a real implementation can replace the
 * in-memory default in adapters/. Phases return their facts plus evidence `details`; the
 * pipeline stamps the evidence records, so every phase's evidence has the same shape.
 */

/** Shared by every phase: time, ids and deployment config. */
export interface PhaseContext {
  clock: Clock;
  ids: IdSource;
  config: BusConfig;
}


/** What the sender told us about causality (the NATS `Tibet-Lamport` header, or a library option). */
export interface CausalHint {
  lamport?: number;
}

/**
 * What enters the bus: a cap object, or the bytes of a sealed cap (COSE_Sign1). `read` is what
 * readSealed already read of those very bytes (a transport routed on it), so they are read once.
 */
export type Submission = { cap: Cap } | { sealed: Uint8Array; read?: SealedRead };

/**
 * The verify step's answer: the cap to run and how far it is trusted. A refused submission still
 * yields a cap (as much of it as could be read) so it gets its rejected receipt and triage.
 */
export interface Admission {
  cap: Cap;
  seal: CapSeal;
  /** why the cap must not run (bad or untrusted seal, unsealed where seals are required) */
  refused?: string;
}

export interface Verifier {
  verify(submission: Submission): Admission;
  /**
   * The same decision with the signature checked off the calling thread; the bus uses it while
   * other caps are in flight. Never rejects: a check that fails is the cap's refusal.
   */
  verifyOffloaded?(submission: Submission): Promise<Admission>;
}

/** Seals records with the bus key: every receipt, and the follow-up caps the bus issues. */
export interface Sealer {
  /** `ed25519:<hex>` of the bus key */
  readonly publicKey: string;
  /**
   * Seals a record: COSE_Sign1 bytes and the content hash of its payload. A sealer that only
   * hashes (when no output carries the seals) gives `bytes: null` and the same content hash.
   */
  seal(record: Record<string, unknown>): { bytes: Uint8Array | null; content_hash: string };
  /** content hash of a record that is not sealed (the deterministic encoding, hashed) */
  hash(record: Record<string, unknown>): { bytes: Uint8Array; content_hash: string };
  /**
   * Seals with the signature computed off the calling thread: the content hash at once, the
   * COSE bytes (null when only hashing) once signed. Never rejects.
   */
  sealOffloaded?(record: Record<string, unknown>): { bytes: Promise<Uint8Array | null>; content_hash: string };
}

export interface Placer {
  place(cap: Cap, hint: CausalHint): { causal_rank: number; details: Details };
}

export interface Distributor {
  distribute(cap: Cap, causalRank: number): { lane_id: string; lane_policy: LanePolicy; details: Details };
}

export interface Injector {
  inject(cap: Cap, laneId: string, causalRank: number): { memory_slot: string; details: Details };
}

export interface Aligner {
  align(cap: Cap, laneId: string, memorySlot: string): { alignment_group: string; details: Details };
}

export interface Executor {
  /** `seal` says how far the bus trusts the cap (a guard may demand a verified seal) */
  execute(distributed: DistributedCap, seal: CapSeal): Promise<ExecutorVerdict> | ExecutorVerdict;
}

export interface Projector {
  project(distributed: DistributedCap, receipt: CapReceipt, measured: Measurements): UsageEvent[];
}

export interface Sink {
  store(result: ExecutionResult): void;
}

/**
 * The lane mux between align and execute: decides when (and whether) a distributed cap may run
 * on its lane. `run` executes the cap; a scheduler that refuses or avoids a cap returns a
 * verdict instead of calling it. Every cap handed in must settle exactly once.
 */
export interface Scheduler {
  admit(distributed: DistributedCap, run: () => Promise<ExecutorVerdict>): Promise<ExecutorVerdict>;
  /** told of a cap refused before the lane (failed verification), so its records stay complete */
  refused?(distributed: DistributedCap, verdict: ExecutorVerdict): void;
}

export interface Phases {
  verify: Verifier;
  /** optional: without a sealer, receipts are not sealed and caps carry no content hash */
  seal?: Sealer;
  place: Placer;
  distribute: Distributor;
  schedule: Scheduler;
  inject: Injector;
  align: Aligner;
  execute: Executor;
  project: Projector;
  sink: Sink;
}

export type { Details, ExecutorVerdict, Measurements, Outcome };

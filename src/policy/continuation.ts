import type { Cap } from '../records/cap.js';
import { makeCap, type CapContext } from '../records/cap.js';
import type { CoffeePolicy } from './coffee.js';
import { laneId } from './lane.js';

export const CONTINUATION_MODES = [
  'receipt',
  'continue',
  'fork',
  'resume',
  'freeze_resume',
  'fork_on_hop_off',
  'resync-needed',
  'reject',
  'rebuild',
  'offline_fallback',
  'polite_avoid',
  'hard_avoid',
] as const;
export type RequestedMode = (typeof CONTINUATION_MODES)[number];
/** After `resume` is resolved through the coffee policy, it never remains. */
export type ContinuationMode = Exclude<RequestedMode, 'resume'>;

export const OUTCOMES = ['executed', 'rejected', 'resync-needed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

const MODE_SET: ReadonlySet<string> = new Set(CONTINUATION_MODES);

/** behaviour.md §6: trimmed, lowercased; anything unknown is a plain receipt. */
export function requestedMode(payload: Record<string, unknown>): RequestedMode {
  const raw = payload.continuation_mode;
  const mode = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  return MODE_SET.has(mode) ? (mode as RequestedMode) : 'receipt';
}

/** behaviour.md §6: how `resume` reads the lane's coffee policy. */
const RESUME_BY_COFFEE: Readonly<Record<CoffeePolicy, ContinuationMode>> = {
  freeze_resume: 'freeze_resume',
  fork_on_hop_off: 'fork_on_hop_off',
  rebuild: 'rebuild',
  offline_fallback: 'offline_fallback',
  hard_avoid: 'hard_avoid',
  polite_avoid: 'polite_avoid',
  sip_anyway: 'freeze_resume',
};

export function resolveMode(requested: RequestedMode, coffee: CoffeePolicy): ContinuationMode {
  return requested === 'resume' ? RESUME_BY_COFFEE[coffee] : requested;
}

/** behaviour.md §6: the outcome each mode reports. */
export function outcomeFor(mode: ContinuationMode): Outcome {
  if (mode === 'reject') return 'rejected';
  if (mode === 'resync-needed') return 'resync-needed';
  return 'executed';
}

/** One follow-up a receipt mode asks for (behaviour.md §7). `null` lane/route = keep the source's. */
interface FollowUpRow {
  suffix: string;
  route: (source: Cap) => Cap['route_class'];
  lane: (source: Cap) => string | null;
  extras: Record<string, unknown>;
}

const sameRoute = (s: Cap) => s.route_class;
const relay = () => 'relay' as const;
const sameLane = (s: Cap) => s.lane_hint;
const noLane = () => null;
const namedLane = (name: string) => (s: Cap) => laneId(name, s.executor_class);

/** behaviour.md §7 as a table: receipt mode → the follow-ups it spawns, in order. */
const FOLLOW_UPS: Readonly<Record<ContinuationMode, readonly FollowUpRow[]>> = {
  receipt: [],
  polite_avoid: [],
  hard_avoid: [],
  freeze_resume: [{ suffix: '.resume.frozen', route: sameRoute, lane: sameLane, extras: { resume_mode: 'freeze_resume', frozen_restore: true } }],
  fork_on_hop_off: [
    { suffix: '.resume.catchup', route: relay, lane: noLane, extras: { resume_mode: 'fork_on_hop_off', branch: 'catchup', catchup_required: true } },
    { suffix: '.resume.live', route: sameRoute, lane: noLane, extras: { resume_mode: 'fork_on_hop_off', branch: 'live', live_reentry: true } },
  ],
  offline_fallback: [{ suffix: '.resume.offline', route: relay, lane: namedLane('offline.fallback'), extras: { resume_mode: 'offline_fallback', offline_fallback: true } }],
  rebuild: [{ suffix: '.resume.rebuild', route: relay, lane: namedLane('rebuild'), extras: { resume_mode: 'rebuild', rebuild_pipeline: true } }],
  reject: [{ suffix: '.triage.reject', route: relay, lane: namedLane('triage.reject'), extras: { triage_reason: 'executor-reject', rejected: true } }],
  'resync-needed': [{ suffix: '.triage.resync', route: relay, lane: namedLane('triage.resync'), extras: { triage_reason: 'resync-needed', resync_requested: true } }],
  continue: [{ suffix: '', route: sameRoute, lane: sameLane, extras: { continued: true } }],
  fork: [
    { suffix: '.fork.alpha', route: sameRoute, lane: noLane, extras: { fork_branch: 'alpha', forked: true } },
    { suffix: '.fork.beta', route: (s) => (s.route_class === 'direct' ? 'relay' : s.route_class), lane: noLane, extras: { fork_branch: 'beta', forked: true } },
  ],
};

/** What a follow-up learns of the receipt that caused it. */
export interface ReceiptLink {
  receipt_id: string;
  continuation_mode: ContinuationMode;
  /** content hash of the sealed receipt, once receipts are sealed */
  receipt_hash?: string | null;
}

export function followUpCaps(source: Cap, receipt: ReceiptLink, ctx: CapContext): Cap[] {
  return FOLLOW_UPS[receipt.continuation_mode].map((row) =>
    makeCap(
      {
        actor_id: source.actor_id,
        intent: source.intent + row.suffix,
        authority_ref: source.authority_ref,
        trust_basis: source.trust_basis,
        executor_class: source.executor_class,
        object_ref: source.object_ref,
        parent_id: source.cap_id,
        route_class: row.route(source),
        lane_hint: row.lane(source),
        payload: {
          source_receipt_id: receipt.receipt_id,
          ...(receipt.receipt_hash ? { source_receipt_hash: receipt.receipt_hash } : {}),
          source_cap_id: source.cap_id,
          continuation_from: source.intent,
          continuation_mode: 'receipt',
          ...row.extras,
        },
      },
      ctx,
    ),
  );
}

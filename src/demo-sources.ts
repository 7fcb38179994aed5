import { makeCap, type Cap, type CapContext } from './records/cap.js';
import { isoTimestamp } from './clock.js';

export const SOURCES = ['demo', 'chain', 'triage', 'resume'] as const;
export type SourceName = (typeof SOURCES)[number];

/** A named scenario: the roots it submits and how many hops its chains run by default. */
export interface Source {
  roots: Cap[];
  hops: number;
}

const secondsAgo = (ctx: CapContext, s: number) => isoTimestamp(ctx.clock.now() - s * 1000);

/** A plan that forks, sealed five minutes ago and travelling by relay (demo and chain share it). */
function forkingPlan(ctx: CapContext): Cap {
  return makeCap(
    {
      actor_id: 'planner.aint',
      intent: 'agent.plan.rollout',
      authority_ref: 'sam:plan',
      executor_class: 'agent-plan',
      route_class: 'relay',
      payload: { plan: 'rollout-wave', continuation_mode: 'fork', sealed_at: secondsAgo(ctx, 300) },
    },
    ctx,
  );
}

function resumeCap(ctx: CapContext, sealedSecondsAgo: number): Cap {
  return makeCap(
    {
      actor_id: 'resume.aint',
      intent: 'agent.tool.high',
      authority_ref: 'sam:tool',
      executor_class: 'agent-tool',
      route_class: 'relay',
      payload: { tool: 'resume', continuation_mode: 'resume', sealed_at: secondsAgo(ctx, sealedSecondsAgo) },
    },
    ctx,
  );
}

/** behaviour.md §13: the built-in scenarios of the CLI. */
export const SOURCE_BUILDERS: Readonly<Record<SourceName, (ctx: CapContext) => Source>> = {
  demo: (ctx) => ({
    hops: 1,
    roots: [
      makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', executor_class: 'agent-tool', payload: { tool: 'search', query: 'cap-stream' } }, ctx),
      makeCap({ actor_id: 'line-a-controller', intent: 'factory.motion.control', authority_ref: 'sam:motion', executor_class: 'motion', payload: { device_id: 'press-07', axis: 'z', target_mm: 42 } }, ctx),
      makeCap({ actor_id: 'billing-gateway', intent: 'service.rpc.standard', authority_ref: 'sam:rpc', executor_class: 'service', payload: { service: 'billing', operation: 'quote' } }, ctx),
      forkingPlan(ctx),
    ],
  }),
  chain: (ctx) => ({ hops: 3, roots: [forkingPlan(ctx)] }),
  triage: (ctx) => ({
    hops: 2,
    roots: [
      makeCap({ actor_id: 'inventory-service', intent: 'service.rpc.inventory', authority_ref: 'sam:rpc', executor_class: 'service', payload: { service: 'inventory', recent_failures: 4, continuation_mode: 'resync-needed' } }, ctx),
      makeCap({ actor_id: 'edge-gateway', intent: 'agent.tool.high', authority_ref: 'sam:tool', executor_class: 'agent-tool', payload: { tool: 'fetch', endpoint_status: 'down', continuation_mode: 'reject' } }, ctx),
    ],
  }),
  resume: (ctx) => ({ hops: 2, roots: [resumeCap(ctx, 15), resumeCap(ctx, 300)] }),
};

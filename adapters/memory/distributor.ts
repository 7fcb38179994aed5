import type { Cap } from '../../src/records/cap.js';
import type { Clock } from '../../src/clock.js';
import { deriveLanePolicy, laneIdFor, type LanePolicyDerivation } from '../../src/policy/lane.js';
import type { Distributor } from '../../src/pipeline/phases.js';

/** Lanes by intent: lane id per behaviour.md §3, policy from the tables or the user's derivation. */
export class IntentDistributor implements Distributor {
  constructor(
    private readonly clock: Clock,
    private readonly derive: LanePolicyDerivation = deriveLanePolicy,
  ) {}

  distribute(cap: Cap, causalRank: number) {
    const lane_id = laneIdFor(cap);
    const lane_policy = this.derive(cap, lane_id, this.clock.now());
    return {
      lane_id,
      lane_policy,
      details: { lane_id, route_class: cap.route_class, distribution_fabric: 'intent-mux', causal_rank: causalRank, lane_policy },
    };
  }
}

/**
 * `tibet-cap-bus/testing`: property-test helpers for lane policies and schedulers.
 * Arbitraries (fast-check) for caps, lane policies and whole scenarios; a virtual timer so
 * simulated work costs no real time; a scenario runner on the in-memory bus with the lane mux;
 * and invariant checkers that return violations (an empty list means the run was sound).
 *
 * Like the CLI, this is a composition module: it wires core to the in-memory adapters.
 */
export { VirtualTimer } from './virtual-timer.js';
export { capArb, laneIdArb, lanePolicyArb, laneShapeArb } from './arbitraries.js';
export type { LaneShape } from '../../src/policy/lane.js';
export { runScenario, scenarioArb, type Scenario, type ScenarioRun } from './scenario.js';
export {
  checkBurstLimits,
  checkCausalRanks,
  checkMaxRunning,
  checkNoUnjustifiedPassing,
  checkOneReceiptPerCap,
  checkReadyPriority,
  checkRefusalsTriaged,
  checkRejectLanes,
  checkScenario,
  checkTraceMatchesReceipts,
} from './invariants.js';

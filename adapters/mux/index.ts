export { LaneMux, type LaneLoad, type LaneMuxOptions } from './lane-mux.js';
export { COLLISION_TABLE, type CollisionRow, type Contender } from './collision.js';
export { COFFEE_ACTIONS, type CoffeeAction } from './coffee-actions.js';
export {
  ScheduleTraceRecordSchema,
  SCHEDULE_DECISIONS,
  SCHEDULE_OUTCOMES,
  type ScheduleTraceRecord,
  type ScheduleDecision,
  type ScheduleOutcome,
} from './trace.js';

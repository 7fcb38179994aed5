export { LaneMux, type LaneMuxOptions } from './lane-mux.js';
export { COLLISION_TABLE, COFFEE_ACTIONS, type CoffeeAction, type CollisionRow, type Contender } from './collision.js';
export {
  ScheduleTraceRecordSchema,
  SCHEDULE_DECISIONS,
  SCHEDULE_OUTCOMES,
  type ScheduleTraceRecord,
  type ScheduleDecision,
  type ScheduleOutcome,
} from './trace.js';

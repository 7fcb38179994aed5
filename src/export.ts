import { cbomDocument } from './cbom.js';
import { gatewayEvents } from './gateway-event.js';
import { governanceDocument, type SealFacts } from './governance.js';
import type { ExecutionResult } from './result.js';
import { VERSION } from './version.js';

/** behaviour.md §12: every view built from the same run. */
export function exportAll(results: readonly ExecutionResult[], seals?: ReadonlyMap<string, SealFacts>) {
  return {
    cap_bus: { version: VERSION, result_count: results.length },
    gateway_events: gatewayEvents(results, seals),
    governance: governanceDocument(results, seals).governance,
    cbom: cbomDocument(results, seals).cbom,
  };
}

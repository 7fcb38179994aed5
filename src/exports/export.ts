import { cbomDocument } from './cbom.js';
import { gatewayEvents } from './gateway-event.js';
import { governanceDocument } from './governance.js';
import type { ExecutionResult } from '../records/result.js';
import { VERSION } from '../version.js';

/**
 * The sealed bytes of a run, so `verify` can walk it: every cap (COSE_Sign1, or the deterministic
 * CBOR of an unsealed one, pinned by its bus-sealed receipt) and every receipt.
 */
function sealedSection(results: readonly ExecutionResult[], busPublicKey: string) {
  const caps = [];
  const receipts = [];
  for (const result of results) {
    const cap = sealedCap(result);
    if (cap) caps.push(cap);
    const receipt = sealedReceipt(result);
    if (receipt) receipts.push(receipt);
  }
  return { bus_public_key: busPublicKey, caps, receipts };
}

/** The sealed-section entry of a result's cap (none when the bus did not seal). */
export function sealedCap({ distributed, seal }: ExecutionResult) {
  if (!seal) return undefined;
  const { trust, content_hash, cose, cbor } = seal.cap;
  return { cap_id: distributed.cap.cap_id, trust, content_hash, cose, cbor };
}

/** The sealed-section entry of a result's receipt (none unless it was sealed). */
export function sealedReceipt({ receipt, seal }: ExecutionResult) {
  if (!seal?.receipt) return undefined;
  return { receipt_id: receipt.receipt_id, cap_id: receipt.cap_id, content_hash: seal.receipt.content_hash, cose: seal.receipt.cose };
}

/** behaviour.md §12: every view built from the same run (and, on a sealing bus, its sealed bytes). */
export function exportAll(results: readonly ExecutionResult[], busPublicKey?: string) {
  return {
    cap_bus: { version: VERSION, result_count: results.length },
    gateway_events: gatewayEvents(results),
    governance: governanceDocument(results).governance,
    cbom: cbomDocument(results).cbom,
    ...(busPublicKey === undefined ? {} : { sealed: sealedSection(results, busPublicKey) }),
  };
}

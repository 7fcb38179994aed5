import { fromBase64 } from '../bytes.js';
import type { CapContext } from '../records/cap.js';
import { decodeCbor } from './cbor-decode.js';
import { isPlainObject } from '../json.js';
import type { Keyring } from './keys.js';
import { contentHash, openSealed, type Ed25519Backend } from './seal.js';
import { checkSealedCap, trustOpened } from './trust.js';

export interface VerifyOptions {
  keyring?: Keyring;
  backend?: Ed25519Backend;
  ctx: CapContext;
}

export interface VerifyReport {
  problems: string[];
  caps: number;
  receipts: number;
  /** what the check relied on that the keyring did not vouch for */
  notes: string[];
}

type Rec = Record<string, unknown>;
const bytesOf = (b64: unknown) => (typeof b64 === 'string' ? fromBase64(b64) : null);

/** One sealed cap or receipt (COSE_Sign1 bytes): signature, and who may have sealed it. */
export function verifySealed(bytes: Uint8Array, options: VerifyOptions): VerifyReport {
  const report: VerifyReport = { problems: [], caps: 0, receipts: 0, notes: [] };
  const opened = openSealed(bytes, { backend: options.backend });
  if (!opened.ok) {
    report.problems.push(`${opened.code}: ${opened.reason}`);
    return report;
  }
  if (isPlainObject(opened.record) && typeof opened.record.receipt_id === 'string') {
    const bus = options.keyring?.bus;
    if (bus === undefined) report.problems.push(`receipt ${opened.record.receipt_id} is sealed by ${opened.kid_text}, but the keyring names no bus key to trust`);
    else if (bus !== opened.kid_text) report.problems.push(`receipt ${opened.record.receipt_id} is sealed by ${opened.kid_text}, not by the bus key ${bus}`);
    else report.receipts++;
    return report;
  }
  const trust = trustOpened(opened, { keyring: options.keyring, ctx: options.ctx });
  if (trust.ok) report.caps++;
  else report.problems.push(`${trust.code}: ${trust.reason}`);
  return report;
}

/**
 * Walks an export-all document: every cap's seal (or, for an unsealed cap, its hash), every
 * receipt's seal and cap_hash, every follow-up's links to its parent and the parent's receipt,
 * and the gateway, CBOM and governance views against the sealed records.
 */
export function verifyExport(doc: unknown, options: VerifyOptions): VerifyReport {
  const report: VerifyReport = { problems: [], caps: 0, receipts: 0, notes: [] };
  const problem = (text: string) => report.problems.push(text);
  if (!isPlainObject(doc) || !isPlainObject(doc.sealed)) {
    problem('not an export-all document with a "sealed" section (export with a sealing bus: every CLI run seals)');
    return report;
  }
  const sealed = doc.sealed;
  const ringBus = options.keyring?.bus;
  const busKey = typeof sealed.bus_public_key === 'string' ? sealed.bus_public_key : null;
  if (busKey === null) problem('sealed.bus_public_key is missing');
  else if (ringBus !== undefined && ringBus !== busKey) problem(`sealed.bus_public_key ${busKey} is not the keyring's bus key ${ringBus}`);
  else if (ringBus === undefined) report.notes.push(`bus key ${busKey} taken from the document (the keyring names no bus key)`);

  const caps = new Map<string, { cap: Rec; content_hash: string }>();
  // caps the bus refused at entry: recorded with their rejected receipt, nothing of theirs to verify
  const refused = new Set<string>();
  for (const [i, entry] of asList(sealed.caps).entries()) {
    if (isPlainObject(entry) && entry.trust === 'refused' && typeof entry.cap_id === 'string') {
      refused.add(entry.cap_id);
      report.notes.push(`cap ${entry.cap_id} was refused at entry; its rejected receipt is checked, the cap is not`);
      continue;
    }
    const where = `sealed.caps[${i}]${isPlainObject(entry) && typeof entry.cap_id === 'string' ? ` (${entry.cap_id})` : ''}`;
    const checked = checkCapEntry(entry, busKey, options);
    if ('problem' in checked) {
      problem(`${where}: ${checked.problem}`);
      continue;
    }
    caps.set(checked.cap.cap_id as string, checked);
    report.caps++;
  }

  const receipts = new Map<string, { receipt: Rec; content_hash: string }>();
  for (const [i, entry] of asList(sealed.receipts).entries()) {
    const where = `sealed.receipts[${i}]`;
    const opened = isPlainObject(entry) ? openSealed(bytesOf(entry.cose) ?? new Uint8Array(), { backend: options.backend }) : null;
    if (!opened || !opened.ok) {
      problem(`${where}: ${opened ? `${opened.code}: ${opened.reason}` : 'not an object'}`);
      continue;
    }
    const receipt = opened.record as Rec;
    const capId = receipt.cap_id as string;
    if (busKey !== null && opened.kid_text !== busKey) problem(`${where}: sealed by ${opened.kid_text}, not by the bus key`);
    else if (opened.content_hash !== (entry as Rec).content_hash) problem(`${where}: content_hash does not match the sealed bytes`);
    else if (receipt.receipt_id !== (entry as Rec).receipt_id || capId !== (entry as Rec).cap_id) problem(`${where}: receipt_id / cap_id differ from the sealed receipt`);
    else if (refused.has(capId)) report.receipts++;
    else if (!caps.has(capId)) problem(`${where}: answers cap ${capId}, which is not among the verified caps`);
    else if (receipt.cap_hash !== caps.get(capId)!.content_hash) problem(`${where}: cap_hash ${String(receipt.cap_hash)} is not the hash of cap ${capId}`);
    else {
      receipts.set(capId, { receipt, content_hash: opened.content_hash });
      report.receipts++;
    }
  }

  for (const [capId, { cap }] of caps) {
    if (!receipts.has(capId)) problem(`cap ${capId}: no verified receipt`);
    const parentId = cap.parent_id;
    if (typeof parentId !== 'string') continue;
    const payload = isPlainObject(cap.payload) ? cap.payload : {};
    const parentReceipt = receipts.get(parentId);
    if (!caps.has(parentId)) problem(`cap ${capId}: parent ${parentId} is not among the verified caps`);
    else if (payload.source_cap_id !== parentId) problem(`cap ${capId}: source_cap_id ${String(payload.source_cap_id)} is not its parent ${parentId}`);
    else if (!parentReceipt) problem(`cap ${capId}: its parent ${parentId} has no verified receipt`);
    else if (payload.source_receipt_id !== parentReceipt.receipt.receipt_id) problem(`cap ${capId}: source_receipt_id is not the parent's receipt ${String(parentReceipt.receipt.receipt_id)}`);
    else if (payload.source_receipt_hash !== parentReceipt.content_hash) problem(`cap ${capId}: source_receipt_hash is not the hash of the parent's receipt`);
  }

  checkViews(doc, caps, receipts, refused, problem);
  return report;
}

function checkCapEntry(entry: unknown, busKey: string | null, options: VerifyOptions): { cap: Rec; content_hash: string } | { problem: string } {
  if (!isPlainObject(entry)) return { problem: 'not an object' };
  const cose = bytesOf(entry.cose);
  if (cose) {
    const trust = checkSealedCap(cose, { keyring: options.keyring, busKeys: busKey ? [busKey] : [], backend: options.backend, ctx: options.ctx });
    if (!trust.ok) return { problem: `${trust.code}: ${trust.reason}` };
    if (trust.content_hash !== entry.content_hash) return { problem: 'content_hash does not match the sealed bytes' };
    if (trust.cap.cap_id !== entry.cap_id) return { problem: `cap_id differs from the sealed cap's ${trust.cap.cap_id}` };
    return { cap: trust.cap, content_hash: trust.content_hash };
  }
  // an unsealed cap: its deterministic encoding must hash to what the bus-sealed receipt pins
  const cbor = bytesOf(entry.cbor);
  if (!cbor) return { problem: 'has neither cose nor cbor bytes' };
  const hash = contentHash(cbor);
  if (hash !== entry.content_hash) return { problem: 'content_hash does not match its CBOR bytes' };
  const decoded = decodeCbor(cbor, { json: true });
  if (!decoded.ok || !isPlainObject(decoded.value)) return { problem: 'cbor bytes are not a cap record' };
  if (decoded.value.cap_id !== entry.cap_id) return { problem: 'cap_id differs from the encoded cap' };
  return { cap: decoded.value, content_hash: hash };
}

/** The readable views must say what the sealed records say. */
function checkViews(
  doc: Rec,
  caps: ReadonlyMap<string, { cap: Rec; content_hash: string }>,
  receipts: ReadonlyMap<string, { receipt: Rec; content_hash: string }>,
  refused: ReadonlySet<string>,
  problem: (text: string) => void,
): void {
  // views of refused caps describe their stand-ins, which carry no seal to compare with
  const isRefused = (record: unknown, key: string) => isPlainObject(record) && refused.has(record[key] as string);
  const children = new Map<string, string[]>();
  for (const [id, { cap }] of caps) {
    if (typeof cap.parent_id === 'string') children.set(cap.parent_id, [...(children.get(cap.parent_id) ?? []), id]);
  }
  const sameSet = (a: unknown, b: string[]) => Array.isArray(a) && a.length === b.length && b.every((x) => a.includes(x));

  /** Each entry of a view that names a cap by `idKey`: it must name a verified cap, and `differs` finds nothing. */
  const eachView = (list: unknown, section: string, idKey: string, differs: (entry: Rec, sealed: { cap: Rec; content_hash: string }) => string | undefined) => {
    for (const [i, entry] of asList(list).entries()) {
      if (isRefused(entry, idKey)) continue;
      const where = `${section}[${i}]`;
      const sealed = isPlainObject(entry) ? caps.get(entry[idKey] as string) : undefined;
      const wrong = !isPlainObject(entry) || !sealed ? `${idKey} names no verified cap` : differs(entry, sealed);
      if (wrong !== undefined) problem(`${where}: ${wrong}`);
    }
  };
  eachView(doc.gateway_events, 'gateway_events', 'operation_id', (event, sealed) => {
    if (event.content_hash !== sealed.content_hash) return `content_hash is not the hash of cap ${String(event.operation_id)}`;
    if (event.parent_id !== sealed.cap.parent_id || event.intent !== sealed.cap.intent) return 'parent_id / intent differ from the sealed cap';
    return undefined;
  });
  eachView(isPlainObject(doc.cbom) ? doc.cbom.documents : undefined, 'cbom.documents', 'object_id', (object, sealed) => {
    if (object.content_hash !== sealed.content_hash || object.parent_id !== sealed.cap.parent_id) return 'content_hash / parent_id differ from the sealed cap';
    if (!sameSet(object.child_ids, children.get(object.object_id as string) ?? [])) return 'child_ids differ from the sealed follow-ups';
    if (isPlainObject(object.continuity) && object.continuity.receipt_id !== receipts.get(object.object_id as string)?.receipt.receipt_id) {
      return 'continuity.receipt_id is not the sealed receipt';
    }
    return undefined;
  });
  eachView(isPlainObject(doc.governance) ? doc.governance.continuation_graph : undefined, 'governance.continuation_graph', 'cap_id', (node, sealed) =>
    node.parent_id !== sealed.cap.parent_id || !sameSet(node.child_cap_ids, children.get(node.cap_id as string) ?? []) ? 'parent / children differ from the sealed caps' : undefined,
  );
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

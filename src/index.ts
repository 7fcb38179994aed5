// The public API of the core, listed name by name. Phase implementations live in
// tibet-cap-bus/adapters/*; the policy tables stay inside their modules (their effects are API,
// the rows are not).

// records
export { ROUTE_CLASSES, ATTESTATION_LAYERS, TOKEN_PATTERN, INTENT_PATTERN, CapSchema, CapInputSchema, completeCap, parseCap, parseCapInput, makeCap, describeIssues } from './records/cap.js';
export type { Cap, CapInput, CapContext, CapParse, CapInputParse } from './records/cap.js';
export { compareCausal, type CausalKey } from './records/causal.js';
export { PHASES, PhaseEvidenceSchema, type PhaseName, type PhaseEvidence } from './records/evidence.js';
export { CapReceiptSchema, type CapReceipt } from './records/receipt.js';
export { AdmittedCapSchema, ExecutionResultSchema, DistributedCapSchema, type AdmittedCap, type ExecutionResult, type DistributedCap } from './records/result.js';
export { UsageEventSchema, type UsageEvent } from './records/usage-event.js';
export { CapSealSchema, ResultSealSchema, UNSEALED, type CapSeal, type ResultSeal } from './records/seal-facts.js';
export type { Details, ExecutorVerdict, Measurements } from './records/verdict.js';

// policy
export { COFFEE_POLICIES, deriveCoffee, type CoffeePolicy, type CoffeeDecision } from './policy/coffee.js';
export { CONTINUATION_MODES, OUTCOMES, requestedMode, resolveMode, outcomeFor, followUpCaps } from './policy/continuation.js';
export type { RequestedMode, ContinuationMode, Outcome, ReceiptLink } from './policy/continuation.js';
export { COLLISION_POLICIES, LanePolicySchema, laneId, laneIdFor, deriveLaneShape, deriveLanePolicy } from './policy/lane.js';
export type { CollisionPolicy, LanePolicy, LaneShape, LanePolicyDerivation } from './policy/lane.js';

// pipeline
export { busContext, CapBus, type BusOptions, type RunOptions, type Root } from './pipeline/pipeline.js';
export { streamChains, DEFAULT_ROOT_WINDOW, type StreamRunOptions } from './pipeline/run-stream.js';
export type { BusHooks, ExecuteHook } from './pipeline/hooks.js';
export { DEFAULT_PARTITIONS, MAX_PARTITIONS, fnv1a32, partitionOf } from './partition.js';
export type {
  PhaseContext,
  CausalHint,
  Submission,
  Admission,
  Verifier,
  Sealer,
  Placer,
  Distributor,
  Injector,
  Aligner,
  Executor,
  Projector,
  Sink,
  Scheduler,
  Phases,
} from './pipeline/phases.js';
export { DEFAULT_CONFIG, type BusConfig } from './config.js';
export { systemClock, randomIds, seededIds, manualClock, isoTimestamp, parseIsoTimestamp, type Clock, type IdSource } from './clock.js';

// sealing and trust
export { nobleBackend, DEFAULT_MAX_SEALED_BYTES, contentHash, keyText, sealRecord, openSealed } from './seal/seal.js';
export type { Ed25519Backend, SigningKey, Sealed, Opened, OpenOptions } from './seal/seal.js';
export { KeyFileSchema, KeyringSchema, signingKeyFromSeed, generateKeyFile, signingKeyFromFile, parseKeyFile, parseKeyring, isBound } from './seal/keys.js';
export type { KeyFile, Keyring } from './seal/keys.js';
export { sealCap, checkSealedCap, type CapTrust, type TrustOptions } from './seal/trust.js';
export { verifySealed, verifyExport, type VerifyOptions, type VerifyReport } from './seal/verify.js';
export { encodeCbor } from './seal/cbor-encode.js';
export { decodeCbor } from './seal/cbor-decode.js';
export { Tagged, type CborValue } from './seal/cbor-value.js';

// exports and the contract check
export { GATEWAY_CONTRACT, GATEWAY_ACTOR, GatewayEventSchema, toGatewayEvent, gatewayEvents, toJsonl, type GatewayEvent } from './exports/gateway-event.js';
export { REQUIRED_FIELDS, VALIDATION_RULES, validateGatewayEvent, validateGatewayEvents, loadGatewayEvents, type GatewayLoad, type ValidationRules } from './exports/validator.js';
export { GovernanceDocumentSchema, governanceDocument, type GovernanceDocument } from './exports/governance.js';
export { CbomDocumentSchema, cbomDocument, type CbomDocument, type CbomObject } from './exports/cbom.js';
export { chainGraph, renderGraph, toMermaid, toDot, toSvg, toHtml, GRAPH_FORMATS, type ChainGraph, type ChainNode, type ChainEdge, type GraphFormat } from './exports/chain-graph.js';
export { exportAll } from './exports/export.js';
export { gatewayJsonlWriter, gatewayJsonWriter, governanceWriter, cbomWriter, exportAllWriter, resultsJsonWriter, textWriter, type ResultWriter } from './exports/export-stream.js';
export { memorySpools, type TextSink, type Spool, type SpoolFactory } from './json-document.js';

// inputs and helpers
export { SOURCES, SOURCE_BUILDERS, type SourceName, type Source } from './demo-sources.js';
export { parseCapLines, type InputEntry, type InputProblem } from './input.js';
export { sortedJson } from './json.js';
export { MAX_PAYLOAD_DEPTH, MAX_JSON_VALUES, readJsonData, type JsonDataRead } from './json-data.js';
export { VERSION } from './version.js';

import { z } from 'zod';
import { CapInputSchema, CapSchema } from '../records/cap.js';
import { PhaseEvidenceSchema } from '../records/evidence.js';
import { LanePolicySchema } from '../policy/lane.js';
import { CapReceiptSchema } from '../records/receipt.js';
import { AdmittedCapSchema, DistributedCapSchema, ExecutionResultSchema } from '../records/result.js';
import { UsageEventSchema } from '../records/usage-event.js';
import { GatewayEventSchema } from './gateway-event.js';
import { GovernanceDocumentSchema } from './governance.js';
import { CbomDocumentSchema } from './cbom.js';

export interface PublishedSchema {
  schema: z.ZodType;
  /** `input` for what senders may hand in (defaults optional), `output` for records as emitted */
  io: 'input' | 'output';
}

/** The core record schemas and the file each is published as under schemas/. */
export const CORE_SCHEMAS: Readonly<Record<string, PublishedSchema>> = {
  'cap.schema.json': { schema: CapSchema, io: 'output' },
  'cap-input.schema.json': { schema: CapInputSchema, io: 'input' },
  'phase-evidence.schema.json': { schema: PhaseEvidenceSchema, io: 'output' },
  'lane-policy.schema.json': { schema: LanePolicySchema, io: 'output' },
  'admitted-cap.schema.json': { schema: AdmittedCapSchema, io: 'output' },
  'distributed-cap.schema.json': { schema: DistributedCapSchema, io: 'output' },
  'cap-receipt.schema.json': { schema: CapReceiptSchema, io: 'output' },
  'usage-event.schema.json': { schema: UsageEventSchema, io: 'output' },
  'execution-result.schema.json': { schema: ExecutionResultSchema, io: 'output' },
  'gateway-event.v1.schema.json': { schema: GatewayEventSchema, io: 'output' },
  'governance.schema.json': { schema: GovernanceDocumentSchema, io: 'output' },
  'cbom.schema.json': { schema: CbomDocumentSchema, io: 'output' },
};

/** JSON Schema (draft 2020-12) text of a record schema, as checked in under schemas/. */
export function jsonSchemaText({ schema, io }: PublishedSchema): string {
  const doc = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
  return JSON.stringify(doc, null, 2) + '\n';
}

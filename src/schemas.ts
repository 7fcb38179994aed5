import { z } from 'zod';
import { CapInputSchema, CapSchema } from './cap.js';
import { PhaseEvidenceSchema } from './evidence.js';
import { LanePolicySchema } from './lane.js';
import { CapReceiptSchema } from './receipt.js';
import { DistributedCapSchema, ExecutionResultSchema } from './result.js';
import { UsageEventSchema } from './usage-event.js';
import { GatewayEventSchema } from './gateway-event.js';
import { GovernanceDocumentSchema } from './governance.js';
import { CbomDocumentSchema } from './cbom.js';

/** The core record schemas and the file each is published as under schemas/. */
export const CORE_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  'cap.schema.json': CapSchema,
  'cap-input.schema.json': CapInputSchema,
  'phase-evidence.schema.json': PhaseEvidenceSchema,
  'lane-policy.schema.json': LanePolicySchema,
  'distributed-cap.schema.json': DistributedCapSchema,
  'cap-receipt.schema.json': CapReceiptSchema,
  'usage-event.schema.json': UsageEventSchema,
  'execution-result.schema.json': ExecutionResultSchema,
  'gateway-event.v1.schema.json': GatewayEventSchema,
};

/** JSON Schema (draft 2020-12) text of a record schema, as checked in under schemas/. */
export function jsonSchemaText(schema: z.ZodType, input = false): string {
  const doc = z.toJSONSchema(schema, { target: 'draft-2020-12', io: input ? 'input' : 'output', unrepresentable: 'any' });
  return JSON.stringify(doc, null, 2) + '\n';
}

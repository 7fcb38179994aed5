import { CORE_SCHEMAS, type PublishedSchema } from '../../src/exports/schemas.js';
import { KeyFileSchema, KeyringSchema } from '../../src/seal/keys.js';
import { ScheduleTraceRecordSchema } from '../../adapters/mux/index.js';
import { TwinAuditTokenSchema, TwinDeviceSchema, TwinStateSchema } from '../../adapters/twin-guard/index.js';

/** Every schema file under schemas/: core records plus those adapters define. */
export const PUBLISHED_SCHEMAS: Readonly<Record<string, PublishedSchema>> = {
  ...CORE_SCHEMAS,
  'key-file.schema.json': { schema: KeyFileSchema, io: 'input' },
  'keyring.schema.json': { schema: KeyringSchema, io: 'input' },
  'schedule-trace-record.schema.json': { schema: ScheduleTraceRecordSchema, io: 'output' },
  'twin-state.schema.json': { schema: TwinStateSchema, io: 'input' },
  'twin-device.schema.json': { schema: TwinDeviceSchema, io: 'input' },
  'twin-audit-token.schema.json': { schema: TwinAuditTokenSchema, io: 'output' },
};

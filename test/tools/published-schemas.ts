import { CORE_SCHEMAS, type PublishedSchema } from '../../src/schemas.js';

/** Every schema file under schemas/: core records plus those adapters define. */
export const PUBLISHED_SCHEMAS: Readonly<Record<string, PublishedSchema>> = {
  ...CORE_SCHEMAS,
};

// Regenerates schemas/*.schema.json from the zod schemas: `npm run schemas`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { jsonSchemaText } from '../../src/exports/schemas.js';
import { PUBLISHED_SCHEMAS } from './published-schemas.js';

const dir = new URL('../../schemas/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [file, published] of Object.entries(PUBLISHED_SCHEMAS)) {
  writeFileSync(new URL(file, dir), jsonSchemaText(published));
  console.log(`wrote schemas/${file}`);
}

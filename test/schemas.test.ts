import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonSchemaText } from '../src/exports/schemas.js';
import { PUBLISHED_SCHEMAS } from './tools/published-schemas.js';

const dir = new URL('../schemas/', import.meta.url);

describe('schemas/ is generated from the zod schemas', () => {
  for (const [file, published] of Object.entries(PUBLISHED_SCHEMAS)) {
    it(`${file} is current (regenerate with npm run schemas)`, () => {
      expect(readFileSync(new URL(file, dir), 'utf8')).toBe(jsonSchemaText(published));
    });
  }
  it('holds no schema file that nothing generates', () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(PUBLISHED_SCHEMAS).sort());
  });
  it('uses JSON Schema draft 2020-12', () => {
    for (const file of Object.keys(PUBLISHED_SCHEMAS)) {
      expect(JSON.parse(readFileSync(new URL(file, dir), 'utf8')).$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    }
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayEventSchema } from '../src/exports/gateway-event.js';
import { loadGatewayEvents, validateGatewayEvents } from '../src/exports/validator.js';
import { FIXTURE_SCENARIOS, fixtureText, fixtureUrl } from './tools/generate-fixtures.js';

describe.each(Object.keys(FIXTURE_SCENARIOS))('fixtures/gateway-event.%s.example.json', (name) => {
  const text = readFileSync(fixtureUrl(name), 'utf8');

  it('is VALID and matches the schema', () => {
    const loaded = loadGatewayEvents(text, `gateway-event.${name}.example.json`);
    if (!loaded.ok) throw new Error(loaded.error);
    expect(loaded.records.length).toBeGreaterThan(0);
    expect(validateGatewayEvents(loaded.records)).toEqual([]);
    for (const record of loaded.records) GatewayEventSchema.parse(record);
  });

  it('equals a fresh regeneration (run `npx tsx test/tools/generate-fixtures.ts` after intended changes)', async () => {
    expect(text).toBe(await fixtureText(name));
  });
});

it('covers the five named scenarios', () => {
  expect(Object.keys(FIXTURE_SCENARIOS).sort()).toEqual(['chain', 'fork_on_hop_off', 'freeze_resume', 'resume', 'triage']);
});

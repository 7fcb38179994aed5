import { existsSync } from 'node:fs';
import { it } from 'vitest';

/** The original package's own gateway-event fixture, kept beside the repository (behaviour.md §14). */
export const REFERENCE_FIXTURE = new URL('../../../shared/reference/original-gateway-event.resume.example.json', import.meta.url);

/** A test that needs the reference fixture: skipped where it is absent locally, failing in CI (CI=true). */
export const itWithReference = it.skipIf(!existsSync(REFERENCE_FIXTURE) && process.env.CI !== 'true');

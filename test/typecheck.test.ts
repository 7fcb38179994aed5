import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('the whole project typechecks (strict)', () => {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { encoding: 'utf8' });
  expect(r.stdout + r.stderr.replace(/^npm warn.*\n/gm, '')).toBe('');
  expect(r.status).toBe(0);
}, 120_000);

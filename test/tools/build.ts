import { spawnSync } from 'node:child_process';

/**
 * vitest global setup: the CLI tests spawn the built bin, so emit it once per run. tsc emits
 * even when types are wrong; type errors fail the typecheck test instead of the whole run.
 */
export default function setup() {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'ignore' });
}

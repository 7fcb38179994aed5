import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

it('the README library example runs against the built package exports', () => {
  const example = /## Library\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', example!], { cwd: root, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((e) => e.intent)).toEqual(['agent.tool.high', 'agent.tool.high.fork.alpha', 'agent.tool.high.fork.beta']);
});

it('the README property-testing example runs and finds no violations in the default policies', () => {
  const example = /### Property-testing your own policies\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', example!], { cwd: root, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 120_000);

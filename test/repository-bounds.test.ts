import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every file under `dir` (relative to the repository) whose name ends with one of `suffixes`. */
function files(dir: string, suffixes: string[]): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return files(path, suffixes);
    return suffixes.some((s) => name.endsWith(s)) ? [path] : [];
  });
}

describe('the repository stands alone (a plain clone runs npm test)', () => {
  it('no test or source file reads the shared folder beside the repository', () => {
    const offenders = [...files('test', ['.ts']), ...files('src', ['.ts']), ...files('adapters', ['.ts'])].filter((path) =>
      /\.\.\/shared\/|shared\/reference/.test(readFileSync(join(root, path), 'utf8')) && path !== join('test', 'repository-bounds.test.ts'),
    );
    expect(offenders).toEqual([]);
  });

  it("the original's reference fixture is kept in fixtures/ with its source named", () => {
    const data = JSON.parse(readFileSync(join(root, 'fixtures/original/gateway-event.resume.example.json'), 'utf8')) as unknown[];
    expect(data).toHaveLength(1);
    expect(readFileSync(join(root, 'fixtures/original/SOURCE.md'), 'utf8')).toMatch(/original Python `tibet-cap-bus`/);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  license: string;
  scripts: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  keywords?: string[];
};

describe('package hygiene', () => {
  it('ships a LICENSE matching package.json, and builds on pack, not on install', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(pkg.scripts.prepare).toBeUndefined();
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(pkg.keywords?.length).toBeGreaterThan(0);
  });

  it('every export has a types condition, and every target exists after the build', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath === './schemas/*') {
        expect(target).toBe('./schemas/*');
        continue;
      }
      if (subpath === './package.json') continue;
      expect(typeof target, subpath).toBe('object');
      const { types, default: js } = target as { types: string; default: string };
      expect(Object.keys(target as object)[0], `${subpath}: types must come first`).toBe('types');
      expect(existsSync(join(root, types)), types).toBe(true);
      expect(existsSync(join(root, js)), js).toBe(true);
    }
    expect(pkg.exports['./package.json']).toBe('./package.json');
  });

  it('npm pack ships dist, schemas, fixtures and LICENSE, but no compiled tests', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('LICENSE');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('schemas/cap.schema.json');
    expect(files.filter((f) => f.startsWith('dist/test/'))).toEqual([]);
  }, 60_000);

  it('resolves its own subpaths the way a consumer does (self-reference)', async () => {
    const schema = (await import('tibet-cap-bus/schemas/cap.schema.json', { with: { type: 'json' } })).default as { $ref?: string };
    expect(schema.$ref).toBe('#/$defs/Cap');
    const manifest = (await import('tibet-cap-bus/package.json', { with: { type: 'json' } })).default as { name: string };
    expect(manifest.name).toBe('tibet-cap-bus');
  });
});

/** The ```ts blocks of README.md, in order. */
function readmeExamples(): string[] {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

describe('README', () => {
  it('its TypeScript examples typecheck under strict, against the published types', () => {
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(3);
    // inside the package, so `tibet-cap-bus/...` resolves through package.json exports (self-reference)
    const dir = join(root, '.readme-examples');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    try {
      examples.forEach((code, i) => writeFileSync(join(dir, `example-${i + 1}.ts`), code));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], skipLibCheck: true },
          include: ['*.ts'],
        }),
      );
      const r = spawnSync('npx', ['tsc', '-p', join(dir, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
      expect(r.stdout + r.stderr.replace(/^npm warn.*\n/gm, '')).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

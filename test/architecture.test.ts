import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The layering ARCHITECTURE.md promises, read from the source itself. */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports (type-only ones too: a cycle of types is still a cycle of meaning), as repo paths. */
function imports(file: string, text = readFileSync(join(root, file), 'utf8')): string[] {
  const found = text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g);
  return [...found].map((m) => relative(root, resolve(root, dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
}

/** Comments and string contents removed, so a word in a comment does not count as use. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/(['"`])(?:\\.|(?!\1).)*\1/g, "''");

/** Every cycle met in a depth-first walk, as "a -> b -> a". */
function cyclesOf(graph: Map<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  return cycles;
}

const core = sources('src');
const all = [...core, ...sources('adapters')];

describe('architecture', () => {
  it('finds the core and adapter files it checks', () => {
    expect(core.length).toBeGreaterThan(30);
    expect(core).toContain('src/pipeline/pipeline.ts');
  });

  it.each(core)('%s is runtime-neutral and imports no adapter', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    expect(text).not.toMatch(/from\s+['"]node:/);
    expect(code(text)).not.toMatch(/\bBuffer\b|\bprocess\b|\brequire\(/);
    // package.json only for the version, by a JSON import every modern runtime reads
    for (const target of imports(file, text)) expect(target.startsWith('src/') || target === 'package.json', `${file} imports ${target}`).toBe(true);
  });

  it('has no import cycle among the modules of src/ and adapters/', () => {
    const graph = new Map(all.map((file) => [file, imports(file).filter((target) => all.includes(target))]));
    expect(cyclesOf(graph)).toEqual([]);
  });

  it('the checks see what they look for (a planted import and a planted cycle are caught)', () => {
    expect(cyclesOf(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual(['a -> b -> c -> a']);
    expect(imports('src/x/a.ts', "import { y } from '../../adapters/y.js';")).toEqual(['adapters/y.ts']);
    expect(code("const s = 'Buffer'; // process\nBuffer.from(x)")).toMatch(/\bBuffer\b/);
    expect(code("const s = 'Buffer'; // process")).not.toMatch(/\bBuffer\b|\bprocess\b/);
  });
});

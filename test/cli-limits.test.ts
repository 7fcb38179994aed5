import { spawn, spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusLine, writeCorpus } from './tools/corpus.js';

const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'capbus-limits-'));
const corpus = join(dir, 'corpus.jsonl');
/** a run that takes well over the progress line's one second even on a fast, quiet machine */
const longCorpus = join(dir, 'long-corpus.jsonl');

function cli(args: string[], options: { input?: string } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: options.input, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs `command` under a pseudo-terminal (script(1)); returns what the terminal showed. */
function underTerminal(command: string): string {
  const r = spawnSync('script', ['-qefc', command, '/dev/null'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  return r.stdout;
}

beforeAll(async () => {
  // long enough that a run takes over a second
  await writeCorpus(corpus, 20_000);
  await writeCorpus(longCorpus, 100_000);
});
afterAll(() => spawnSync('rm', ['-rf', dir]));

describe('input limits (product.md §6)', () => {
  it('a line over --max-line-bytes is a named bad line; nothing runs', () => {
    const input = [corpusLine(0), corpusLine(1), 'x'.repeat(3000), corpusLine(2)].join('\n');
    const r = cli(['gateway-export', '--input', '-', '--max-line-bytes', '1000'], { input });
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe('tibet-cap-bus: -:3: line is longer than 1000 bytes (--max-line-bytes); not read further\n');
    // the same line within the limit is only bad JSON
    expect(cli(['gateway-export', '--input', '-', '--max-line-bytes', '4000'], { input }).err).toContain('-:3: not JSON');
  });

  it('/dev/zero and a 1 GB file without a line break: a clear error, exit 2, after reading only the limit', () => {
    const big = join(dir, 'no-newlines.bin');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 1 << 30);
    closeSync(fd);
    for (const path of ['/dev/zero', big]) {
      const r = cli(['export-all', '--input', path]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toBe(`tibet-cap-bus: ${path}:1: line is longer than 1048576 bytes (--max-line-bytes); not read further\n`);
    }
  });

  it('a FIFO is read as a stream', () => {
    const fifo = join(dir, 'caps.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', `head -n 300 ${corpus} > ${fifo}`]);
    const r = cli(['gateway-export', '--input', fifo]);
    writer.kill();
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(300);
  });

  it('--max-line-bytes takes a positive integer', () => {
    const r = cli(['gateway-export', '--max-line-bytes', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--max-line-bytes must be an integer from 1 to 1073741824');
  });

  it('a bad line in a stream longer than the read-ahead stops the run there: output so far complete, exit 2', () => {
    const good = Array.from({ length: 60_000 }, (_, i) => corpusLine(i)).join('\n');
    const r = cli(['cbom-export', '--input', '-'], { input: `${good}\n{oops\n${corpusLine(1)}\n` });
    expect(r.code).toBe(2);
    expect(r.err).toContain('-:60001: not JSON');
    expect(r.err).toContain('the run stopped there');
    // still one valid document, holding every cap before the bad line
    expect(JSON.parse(r.out).cbom.documents).toHaveLength(60_000);
  });
});

describe('output to a closed pipe', () => {
  for (const command of ['export-all', 'gateway-export', 'trace']) {
    it(`${command} | head ends quietly with exit 0`, () => {
      // output far beyond a pipe's buffer, so writes meet the closed pipe
      const bash = spawnSync('bash', ['-c', `set -o pipefail; head -n 4000 ${corpus} | node ${BIN} ${command} --input - 2>${dir}/err | head -c 1000 > /dev/null; echo $?`], { encoding: 'utf8' });
      expect(bash.stdout.trim()).toBe('0');
      expect(spawnSync('cat', [`${dir}/err`], { encoding: 'utf8' }).stdout).toBe('');
    });
  }
});

describe('progress line', () => {
  const run = (flags: string) => `${process.execPath} ${BIN} gateway-export --input ${longCorpus} ${flags} > /dev/null`;

  it('shows on a terminal for a run over a second: caps, rate, elapsed, roots of the total', () => {
    const shown = underTerminal(run(''));
    expect(shown).toMatch(/\rtibet-cap-bus: [\d,]+ caps \([\d,]+\/100,000 roots\), [\d,]+ caps\/s, \d+\.\d s/);
    expect(shown).toMatch(/tibet-cap-bus: [\d,]+ caps \(100,000\/100,000 roots\)/);
  });

  it('--no-progress silences it on a terminal', () => {
    expect(underTerminal(run('--no-progress'))).not.toContain('caps/s');
  });

  it('never when stderr is not a terminal, unless --progress forces it', () => {
    expect(cli(['gateway-export', '--input', corpus]).err).toBe('');
    const forced = cli(['gateway-export', '--input', longCorpus, '--progress']).err;
    expect(forced).toMatch(/^tibet-cap-bus: [\d,]+ caps \([\d,]+\/100,000 roots\), [\d,]+ caps\/s, \d+\.\d s\n/);
    expect(forced).not.toContain('\r');
  });
});

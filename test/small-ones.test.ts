import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCap } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import { parseCapLines } from '../src/input.js';

/** Issue 13, item 6. */
const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'capbus-small-'));
const cli = (args: string[], input?: string) => spawnSync('node', [BIN, ...args], { encoding: 'utf8', input });
const capJson = JSON.stringify({ actor_id: 'alice.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: {} });

describe('keygen --out', () => {
  it('refuses a dangling symbolic link, with or without --force, and writes nothing through it', () => {
    const target = join(dir, 'elsewhere.key');
    const link = join(dir, 'link.key');
    symlinkSync(target, link);
    for (const args of [[], ['--force']]) {
      const r = cli(['keygen', '--out', link, ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${link} is a symbolic link; a key file is never written through one`);
    }
    expect(existsSync(target)).toBe(false);
  });
});

describe('seal', () => {
  it('warns, as ssh does, when the key file is readable by group or others, and still seals', () => {
    const key = join(dir, 'open.key');
    expect(cli(['keygen', '--out', key]).status).toBe(0);
    const quiet = cli(['seal', '--key', key, '--base64'], capJson);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    chmodSync(key, 0o644);
    const r = cli(['seal', '--key', key, '--base64'], capJson);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`tibet-cap-bus: warning: key file ${key} is readable by others (mode 0644); run chmod 600 ${key}\n`);
  });
});

describe('verify', () => {
  it('names the expected alphabet when a sealed file is URL-safe base64', () => {
    const key = join(dir, 'v.key');
    cli(['keygen', '--out', key]);
    const selfSigned = JSON.stringify({ ...JSON.parse(capJson), attestation_layer: 'self-signed' });
    const b64 = cli(['seal', '--key', key, '--base64'], selfSigned).stdout.trim();
    const urlSafe = b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(urlSafe).toMatch(/[-_]/);
    const path = join(dir, 'cap.b64url');
    writeFileSync(path, urlSafe + '\n');
    const r = cli(['verify', path]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${path}: the file is URL-safe base64 (- and _); verify reads raw COSE_Sign1 bytes or standard base64 (+ and /, RFC 4648 §4)\n`);
    const standard = join(dir, 'cap.b64');
    writeFileSync(standard, b64 + '\n');
    expect(cli(['verify', standard]).status).toBe(0);
  });
});

describe('a byte-order mark on the first line of a JSONL file', () => {
  it('is skipped, as validate-gateway-event already does', () => {
    const ctx = { clock: manualClock(0), ids: seededIds(1) };
    const { entries, problems } = parseCapLines('\uFEFF' + capJson + '\n' + capJson + '\n', ctx);
    expect(problems).toEqual([]);
    expect(entries).toHaveLength(2);
    const path = join(dir, 'bom.jsonl');
    writeFileSync(path, '\uFEFF' + capJson + '\n');
    expect(cli(['trace', '--input', path]).status).toBe(0);
    expect(cli(['seal', '--key', join(dir, 'v.key'), '--input', path, '--base64']).status).toBe(0);
  });

  it('anywhere else it is still not JSON, and the message shows it visibly', () => {
    const ctx = { clock: manualClock(0), ids: seededIds(1) };
    const { problems } = parseCapLines(capJson + '\n\uFEFF' + JSON.stringify(makeCap({ actor_id: 'a', intent: 'a.b', authority_ref: 'x', payload: {} }, ctx)), ctx);
    expect(problems).toEqual([{ line: 2, message: expect.stringMatching(/^not JSON \(.*\) — the line starts with a byte-order mark \(U\+FEFF\)$/) }]);
    expect(readFileSync(join(dir, 'bom.jsonl'), 'utf8').startsWith('\uFEFF')).toBe(true);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inCi, missing, python } from './tools/cose-ref.js';
import { randomIds, systemClock } from '../src/clock.js';
import { verifyExport } from '../src/seal/verify.js';

const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'capbus-seal-'));
const path = (name: string) => join(dir, name);
const cli = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

// keys: alice (bound in the keyring), mallory (not bound), the bus
for (const who of ['alice', 'mallory', 'bus']) expect(cli(['keygen', '--out', path(`${who}.key`), '--actor', `${who}.aint`]).code).toBe(0);
const keyOf = (who: string) => JSON.parse(readFileSync(path(`${who}.key`), 'utf8'));
writeFileSync(path('ring.json'), JSON.stringify({ actors: { 'alice.aint': [keyOf('alice').public_key] }, bus: keyOf('bus').public_key }));
const ring = ['--keyring', path('ring.json'), '--bus-key', path('bus.key')];

const capJson = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ actor_id: 'alice.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: { tool: 'search', continuation_mode: 'fork' }, ...extra });
const sealedLine = (bytes: Buffer) => JSON.stringify({ sealed: bytes.toString('base64') });

function exportOf(lines: string[], hops = 3) {
  const r = cli(['export-all', '--input', '-', '--hops', String(hops), ...ring], lines.join('\n') + '\n');
  expect(r.code, r.err).toBe(0);
  return { text: r.out, doc: JSON.parse(r.out) };
}

describe('keys', () => {
  it('keygen writes a 0600 key file and refuses to overwrite', () => {
    expect(statSync(path('alice.key')).mode & 0o777).toBe(0o600);
    expect(keyOf('alice')).toMatchObject({ public_key: expect.stringMatching(/^ed25519:[0-9a-f]{64}$/), secret_key: expect.stringMatching(/^[0-9a-f]{64}$/), actor: 'alice.aint' });
    const again = cli(['keygen', '--out', path('alice.key')]);
    expect(again.code).toBe(2);
    expect(again.err).toContain('--force');
  });
  it('a bad keyring is a usage error naming the file', () => {
    writeFileSync(path('bad-ring.json'), JSON.stringify({ actors: { a: ['nope'] } }));
    const r = cli(['demo', '--keyring', path('bad-ring.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('bad-ring.json');
  });
});

describe('sealed caps through the CLI', () => {
  it('seal → export-all: verified, real content hash, key and hash in the gateway event; verify walks it', () => {
    const sealed = spawnSync(process.execPath, [BIN, 'seal', '--key', path('alice.key')], { input: capJson() });
    expect(sealed.status).toBe(0);
    const { doc, text } = exportOf([sealedLine(sealed.stdout)]);
    const [root, alpha, beta] = doc.gateway_events;
    expect(root).toMatchObject({ verified: true, actor_jis_pubkey: keyOf('alice').public_key, attestation_ref: root.content_hash, token_id: root.content_hash });
    expect(root.content_hash).toBe(doc.sealed.caps[0].content_hash);
    // follow-ups are issued (and sealed) by the bus
    expect([alpha.verified, beta.verified]).toEqual([true, true]);
    expect(doc.sealed.caps.map((c: any) => c.trust)).toEqual(['jis', 'bus', 'bus']);
    writeFileSync(path('export.json'), text);
    const v = cli(['verify', '--keyring', path('ring.json'), path('export.json')]);
    expect(v.code, v.out).toBe(0);
    expect(v.out).toContain('OK (3 caps, 3 receipts verified)');
  });

  it('unsealed caps run unverified by default and are refused with --require-seal', () => {
    const open = JSON.parse(cli(['export-all', '--input', '-', ...ring], capJson() + '\n').out);
    expect(open.gateway_events[0].verified).toBe(false);
    const strict = JSON.parse(cli(['export-all', '--input', '-', '--hops', '2', '--require-seal', ...ring], capJson() + '\n').out);
    expect(strict.cbom.documents.map((d: any) => [d.human_name, d.continuity.outcome])).toEqual([
      ['agent.tool.high', 'rejected'],
      ['agent.tool.high.triage.reject', 'executed'],
    ]);
    expect(JSON.parse(cli(['demo', '--json', '--require-seal']).out).every((r: any) => r.receipt.outcome === 'rejected')).toBe(true);
  });

  it('a key the keyring does not bind is refused, never executed, and triaged', () => {
    const sealed = spawnSync(process.execPath, [BIN, 'seal', '--key', path('mallory.key')], { input: capJson() });
    const { doc } = exportOf([sealedLine(sealed.stdout)], 2);
    const receipt = doc.cbom.documents[0];
    expect(receipt.continuity).toMatchObject({ outcome: 'rejected', continuation_mode: 'reject' });
    expect(doc.cbom.documents[1].human_name).toBe('agent.tool.high.triage.reject');
    expect(doc.gateway_events[0].verified).toBe(false);
    expect(JSON.stringify(doc.governance.usage_events[1].evidence.details)).toContain('key-not-bound');
  });

  it('verify finds any changed byte in any cap, receipt or link of an export', () => {
    const sealed = spawnSync(process.execPath, [BIN, 'seal', '--key', path('alice.key')], { input: capJson() });
    const { doc } = exportOf([sealedLine(sealed.stdout), capJson({ payload: { continuation_mode: 'continue' } })]);
    const mutations: [string, (d: any) => void][] = [];
    // change one character of a hash, one bit of a byte in the middle of base64 bytes
    const flip = (s: string) => (s.at(-1) === 'a' ? s.slice(0, -1) + 'b' : s.slice(0, -1) + 'a');
    const flipByte = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[bytes.length >> 1]! ^= 0x01;
      return bytes.toString('base64');
    };
    doc.sealed.caps.forEach((c: any, i: number) => {
      if (c.cose) mutations.push([`cap ${i} cose`, (d) => (d.sealed.caps[i].cose = flipByte(d.sealed.caps[i].cose))]);
      if (c.cbor) mutations.push([`cap ${i} cbor`, (d) => (d.sealed.caps[i].cbor = flipByte(d.sealed.caps[i].cbor))]);
      mutations.push([`cap ${i} hash`, (d) => (d.sealed.caps[i].content_hash = flip(d.sealed.caps[i].content_hash))]);
    });
    doc.sealed.receipts.forEach((_: any, i: number) => {
      mutations.push([`receipt ${i} cose`, (d) => (d.sealed.receipts[i].cose = flipByte(d.sealed.receipts[i].cose))]);
      mutations.push([`receipt ${i} hash`, (d) => (d.sealed.receipts[i].content_hash = flip(d.sealed.receipts[i].content_hash))]);
    });
    doc.gateway_events.forEach((_: any, i: number) => {
      mutations.push([`gateway ${i} content_hash`, (d) => (d.gateway_events[i].content_hash = flip(d.gateway_events[i].content_hash))]);
      mutations.push([`gateway ${i} parent`, (d) => (d.gateway_events[i].parent_id = 'cap_0000000000000000')]);
    });
    doc.cbom.documents.forEach((_: any, i: number) => {
      mutations.push([`cbom ${i} children`, (d) => d.cbom.documents[i].child_ids.push('cap_1111111111111111')]);
    });
    mutations.push(['bus key', (d) => (d.sealed.bus_public_key = keyOf('mallory').public_key)]);
    mutations.push(['dropped receipt', (d) => d.sealed.receipts.pop()]);
    expect(mutations.length).toBeGreaterThan(20);
    const keyring = JSON.parse(readFileSync(path('ring.json'), 'utf8'));
    const ctx = { clock: systemClock, ids: randomIds() };
    expect(verifyExport(doc, { keyring, ctx }).problems).toEqual([]);
    for (const [name, mutate] of mutations) {
      const copy = structuredClone(doc);
      mutate(copy);
      expect(verifyExport(copy, { keyring, ctx }).problems.length, name).toBeGreaterThan(0);
    }
    // and through the CLI: one line per problem, exit 1
    const copy = structuredClone(doc);
    mutations[0]![1](copy);
    writeFileSync(path('tampered.json'), JSON.stringify(copy));
    const v = cli(['verify', '--keyring', path('ring.json'), path('tampered.json')]);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/tampered\.json: sealed\.caps\[0\]/);
  });

  it('verify exits 2 on unreadable input', () => {
    const r = cli(['verify', path('absent.cose')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('absent.cose');
  });
});

describe.skipIf(missing !== null && !inCi)('an independent COSE implementation (Python: cbor2 + cryptography)', () => {
  const seed = Buffer.from(keyOf('alice').secret_key, 'hex');
  const record = {
    cap_id: 'cap_00000000000000aa', actor_id: 'alice.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: { tool: 'search', continuation_mode: 'fork' },
    created_at: '2026-11-23T10:00:00.000Z', parent_id: null, trust_basis: 'jis', route_class: 'direct', executor_class: 'default', lane_hint: null, object_ref: null,
    actor_aint: 'alice.aint', actor_jis_pubkey: null, attestation_layer: 'jis', attestation_ref: 'attest:cap_00000000000000aa',
  };

  it('a Python-sealed cap verifies, runs verified with its content hash; one flipped bit is rejected and triaged', () => {
    const py = python<{ cose_hex: string; content_hash: string }>('seal', { seed_hex: seed.toString('hex'), record });
    const bytes = Buffer.from(py.cose_hex, 'hex');
    writeFileSync(path('py.cose'), bytes);
    expect(cli(['verify', '--keyring', path('ring.json'), path('py.cose')]).code).toBe(0);
    const { doc } = exportOf([sealedLine(bytes)], 2);
    expect(doc.gateway_events[0]).toMatchObject({ operation_id: 'cap_00000000000000aa', verified: true, content_hash: py.content_hash, status: 'executed' });

    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 70]! ^= 0x01; // inside the payload, before the signature
    writeFileSync(path('py-flipped.cose'), flipped);
    expect(cli(['verify', '--keyring', path('ring.json'), path('py-flipped.cose')]).code).toBe(1);
    const bad = exportOf([sealedLine(flipped)], 2).doc;
    expect(bad.cbom.documents.map((d: any) => [d.continuity.outcome, d.human_name.endsWith('.triage.reject')])).toEqual([
      ['rejected', false],
      ['executed', true],
    ]);
    expect(bad.gateway_events[0].verified).toBe(false);
  });

  it('a cap sealed by tibet-cap-bus seal verifies in Python', () => {
    const sealed = spawnSync(process.execPath, [BIN, 'seal', '--key', path('alice.key')], { input: JSON.stringify(record) });
    const py = python<{ ok: boolean; record: unknown; kid_hex: string }>('verify', { cose_hex: sealed.stdout.toString('hex') });
    expect(py).toMatchObject({ ok: true, record, kid_hex: keyOf('alice').public_key.slice('ed25519:'.length) });
  });
});

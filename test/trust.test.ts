import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeBackend } from '../adapters/node/ed25519.js';
import { fromHex } from '../src/bytes.js';
import { makeCap, type Cap, type CapContext } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import { encodeCbor } from '../src/seal/cbor-encode.js';
import { Tagged } from '../src/seal/cbor-value.js';
import {
  generateKeyFile,
  isBound,
  KeyFileSchema,
  KeyringSchema,
  signingKeyFromFile,
  signingKeyFromSeed,
  type Keyring,
} from '../src/seal/keys.js';
import { loadKeyFile, loadKeyring, writeKeyFile } from '../adapters/node/key-files.js';
import { keyText, nobleBackend, sealRecord } from '../src/seal/seal.js';
import { checkSealedCap, sealCap } from '../src/seal/trust.js';

const vector = JSON.parse(readFileSync(new URL('../fixtures/seal-vector.json', import.meta.url), 'utf8'));
const ctx: CapContext = { clock: manualClock(Date.UTC(2026, 0, 15)), ids: seededIds(7) };
const key = signingKeyFromSeed(fromHex(vector.seed_hex)!);
const kid = keyText(key.publicKey);
const stranger = signingKeyFromSeed(new Uint8Array(32).fill(9));
const strangerKid = keyText(stranger.publicKey);

const jisCap = (overrides: Partial<Cap> = {}): Cap =>
  makeCap({ cap_id: 'cap_00000000000000aa', actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: { q: 1 }, ...overrides }, ctx);
const ring = (actors: Record<string, string[]>): Keyring => ({ actors });

describe('checkSealedCap', () => {
  it('accepts the vector as self-signed', () => {
    const trust = checkSealedCap(fromHex(vector.cose_sign1_hex)!, { ctx });
    expect(trust).toEqual({ ok: true, cap: vector.cap, content_hash: vector.content_hash, kid_text: kid, trust: 'self-signed', verified: true });
  });

  it('accepts a jis cap whose actor_aint the keyring binds to the kid', () => {
    const cap = jisCap();
    const trust = checkSealedCap(sealCap(cap, key).bytes, { ctx, keyring: ring({ 'codex.aint': [strangerKid, kid] }) });
    expect(trust).toMatchObject({ ok: true, cap, kid_text: kid, trust: 'jis', verified: true });
  });

  it('accepts a binding of actor_id when actor_aint is absent, and of both names when it is someone else', () => {
    const keyring = ring({ 'gateway.svc': [kid] });
    const plain = jisCap({ actor_id: 'gateway.svc', actor_aint: null });
    expect(checkSealedCap(sealCap(plain, key, nodeBackend).bytes, { ctx, keyring, backend: nodeBackend })).toMatchObject({ ok: true, trust: 'jis' });
    const other = jisCap({ actor_id: 'gateway.svc', actor_aint: 'other.aint' });
    expect(checkSealedCap(sealCap(other, key).bytes, { ctx, keyring })).toMatchObject({ ok: false, code: 'key-not-bound' });
    expect(checkSealedCap(sealCap(other, key).bytes, { ctx, keyring: ring({ 'gateway.svc': [kid], 'other.aint': [kid] }) })).toMatchObject({ ok: true, trust: 'jis' });
  });

  it('keeps the content hash of the bytes as sent', () => {
    const sealed = sealCap(jisCap(), key);
    const trust = checkSealedCap(sealed.bytes, { ctx, keyring: ring({ 'codex.aint': [kid] }) });
    expect(trust.ok && trust.content_hash).toBe(sealed.content_hash);
  });

  const named = { cap_id: 'cap_00000000000000aa', actor_id: 'codex.aint', intent: 'agent.tool.high' };

  it.each([
    ['no keyring', jisCap(), undefined, 'key-not-bound', `no keyring is configured, so key ${kid} is not bound to actor codex.aint`],
    ['a keyring without the key', jisCap(), ring({ 'codex.aint': [strangerKid] }), 'key-not-bound', `keyring does not bind key ${kid} to actor codex.aint`],
    ['the key bound to another actor', jisCap(), ring({ 'other.aint': [kid] }), 'key-not-bound', `keyring does not bind key ${kid} to actor codex.aint`],
    [
      'both names unbound',
      jisCap({ actor_id: 'gateway.svc', actor_aint: 'gw.aint' }),
      ring({}),
      'key-not-bound',
      `keyring does not bind key ${kid} to actor gateway.svc and gw.aint (a key must be bound to every identity the cap names: gateway.svc and gw.aint)`,
    ],
    [
      'a self-signed cap naming no key',
      jisCap({ attestation_layer: 'self-signed' }),
      undefined,
      'self-signed-without-key',
      `self-signed cap must name its key in actor_jis_pubkey (${kid})`,
    ],
    [
      'a cap naming another key',
      jisCap({ attestation_layer: 'self-signed', actor_jis_pubkey: strangerKid }),
      undefined,
      'key-mismatch',
      `cap names actor_jis_pubkey ${strangerKid} but is sealed with kid ${kid}`,
    ],
    [
      'a jis cap naming another key, even when bound',
      jisCap({ actor_jis_pubkey: strangerKid }),
      ring({ 'codex.aint': [kid] }),
      'key-mismatch',
      `cap names actor_jis_pubkey ${strangerKid} but is sealed with kid ${kid}`,
    ],
    [
      'a sealed cap claiming to be unsealed',
      jisCap({ attestation_layer: 'none', actor_jis_pubkey: kid }),
      ring({ 'codex.aint': [kid] }),
      'sealed-unattested',
      'cap is sealed but declares attestation_layer "none"; a sealed cap must be "jis" or "self-signed"',
    ],
  ])('rejects %s', (_what, cap, keyring, code, reason) => {
    const sealed = sealCap(cap, key);
    const trust = checkSealedCap(sealed.bytes, { ctx, keyring });
    expect(trust).toEqual({ ok: false, code, reason, content_hash: sealed.content_hash, partial: expect.objectContaining({ cap_id: cap.cap_id, intent: cap.intent }) });
  });

  it('accepts the self-signed key text in either case', () => {
    const cap = jisCap({ attestation_layer: 'self-signed', actor_jis_pubkey: kid.toUpperCase() });
    expect(checkSealedCap(sealCap(cap, key).bytes, { ctx })).toMatchObject({ ok: true, trust: 'self-signed' });
  });

  it('rejects a sealed cap without its own cap_id or created_at', () => {
    const { cap_id: _id, created_at: _at, ...bare } = jisCap();
    const trust = checkSealedCap(sealRecord(bare, key).bytes, { ctx, keyring: ring({ 'codex.aint': [kid] }) });
    expect(trust).toMatchObject({
      ok: false,
      code: 'missing-sealed-field',
      reason: 'sealed cap has no cap_id or created_at; a sealed cap must carry its own cap_id and created_at, since the seal covers them',
      partial: { actor_id: 'codex.aint', intent: 'agent.tool.high' },
    });
    const noTime = { ...jisCap(), created_at: undefined };
    delete noTime.created_at;
    expect(checkSealedCap(sealRecord(noTime, key).bytes, { ctx })).toMatchObject({ code: 'missing-sealed-field', reason: expect.stringMatching(/^sealed cap has no created_at;/) });
  });

  it('rejects a payload that is not a valid cap, naming what it could read', () => {
    const bad = { ...jisCap(), intent: 'not an intent', surprise: 1 };
    const trust = checkSealedCap(sealRecord(bad, key).bytes, { ctx });
    expect(trust).toMatchObject({
      ok: false,
      code: 'invalid-cap',
      reason: 'payload is not a valid cap: intent: intent must be dot-separated tokens of A-Z a-z 0-9 _ -; unknown field(s): surprise',
      partial: { cap_id: 'cap_00000000000000aa', actor_id: 'codex.aint', intent: 'not an intent' },
    });
    expect(checkSealedCap(sealRecord([1] as never, key).bytes, { ctx })).toMatchObject({
      code: 'invalid-cap',
      reason: expect.stringMatching(/^payload is not a valid cap: \(record\): /),
      partial: undefined,
    });
    const notRecord = encodeCbor(new Tagged(18, [])); // a structural failure carries no payload
    expect(checkSealedCap(notRecord, { ctx })).toEqual({ ok: false, code: 'bad-structure', reason: 'COSE_Sign1 must be an array of 4 items, found an array of 0 items', content_hash: undefined, partial: undefined });
  });

  it('passes signature failures through, still naming the cap', () => {
    const sealed = sealCap(jisCap(), key);
    const tampered = sealed.bytes.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(checkSealedCap(tampered, { ctx, keyring: ring({ 'codex.aint': [kid] }) })).toEqual({
      ok: false,
      code: 'bad-signature',
      reason: `Ed25519 signature does not verify with kid ${kid}`,
      content_hash: sealed.content_hash,
      partial: expect.objectContaining(named),
    });
  });

  it('applies the size limit', () => {
    const sealed = sealCap(jisCap(), key);
    expect(checkSealedCap(sealed.bytes, { ctx, maxBytes: 64 })).toMatchObject({
      ok: false,
      code: 'too-large',
      reason: `sealed cap is ${sealed.bytes.length} bytes, over the limit of 64 bytes`,
    });
  });
});

describe('key files and keyrings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capbus-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('generates a consistent key file', () => {
    const keyFile = generateKeyFile('codex.aint');
    expect(KeyFileSchema.parse(keyFile)).toEqual(keyFile);
    expect(keyFile.actor).toBe('codex.aint');
    expect(generateKeyFile().actor).toBeNull();
    const signing = signingKeyFromFile(keyFile);
    expect(keyText(signing.publicKey)).toBe(keyFile.public_key);
    expect(nodeBackend.publicKey(signing.seed)).toEqual(signing.publicKey);
    expect(generateKeyFile().secret_key).not.toBe(keyFile.secret_key);
  });

  it('writes key files owner-only, also over an existing file, and reads them back', () => {
    const path = file('existing.json', '{}');
    chmodSync(path, 0o644);
    const keyFile = generateKeyFile('codex.aint');
    writeKeyFile(path, keyFile);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadKeyFile(path)).toEqual(keyFile);
    const fresh = join(dir, 'fresh.json');
    writeKeyFile(fresh, keyFile);
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
  });

  it('names the file and the problem when a key file is bad', () => {
    const good = generateKeyFile();
    const other = generateKeyFile();
    const cases: [string, string, RegExp][] = [
      ['missing.json', '', /^cannot read key file .*missing\.json: ENOENT$/],
      ['broken.json', '{"public_key":', /^key file .*broken\.json is not valid JSON: /],
      ['short.json', JSON.stringify({ ...good, secret_key: 'abcd' }), /^key file .*short\.json: secret_key: must be 64 lowercase hex digits/],
      ['pub.json', JSON.stringify({ ...good, public_key: good.public_key.slice(8) }), /^key file .*pub\.json: public_key: must be "ed25519:" followed by 64 lowercase hex digits$/],
      ['extra.json', JSON.stringify({ ...good, comment: 'x' }), /^key file .*extra\.json: unknown field\(s\): comment$/],
      ['mixed.json', JSON.stringify({ ...good, public_key: other.public_key }), /^key file .*mixed\.json: public_key does not match secret_key \(the seed derives ed25519:[0-9a-f]{64}\)$/],
    ];
    for (const [name, content, message] of cases) {
      const path = name === 'missing.json' ? join(dir, name) : file(name, content);
      expect(() => loadKeyFile(path)).toThrow(message);
    }
  });

  it('loads keyrings and names the file and the problem when one is bad', () => {
    const keyring = { actors: { 'codex.aint': [kid] }, bus: strangerKid };
    expect(loadKeyring(file('ring.json', JSON.stringify(keyring)))).toEqual(keyring);
    expect(KeyringSchema.parse({ actors: {} })).toEqual({ actors: {} });
    expect(() => loadKeyring(file('bad-ring.json', JSON.stringify({ actors: { 'codex.aint': ['ed25519:XYZ'] } })))).toThrow(
      /^keyring .*bad-ring\.json: actors\.codex\.aint\.0: must be "ed25519:" followed by 64 lowercase hex digits$/,
    );
    expect(() => loadKeyring(file('no-actors.json', '{"bus": null}'))).toThrow(/^keyring .*no-actors\.json: actors: missing required field; bus: /);
  });

  it('binds only listed keys to listed actors', () => {
    const keyring = ring({ 'codex.aint': [kid] });
    expect(isBound(keyring, ['codex.aint'], kid)).toBe(true);
    expect(isBound(keyring, ['nobody', 'codex.aint'], kid)).toBe(false);
    expect(isBound(keyring, ['codex.aint'], strangerKid)).toBe(false);
    expect(isBound(keyring, ['constructor', 'toString', '__proto__'], kid)).toBe(false);
    expect(isBound(keyring, [], kid)).toBe(false);
  });

  it('noble derives the same key as node:crypto', () => {
    expect(signingKeyFromSeed(key.seed, nodeBackend)).toEqual(signingKeyFromSeed(key.seed, nobleBackend));
  });
});

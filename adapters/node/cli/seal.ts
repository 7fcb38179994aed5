import { existsSync, lstatSync, statSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { toBase64 } from '../../../src/bytes.js';
import { completeCap, parseCapInput, type Cap } from '../../../src/records/cap.js';
import { systemClock, randomIds } from '../../../src/clock.js';
import { CliError, EXIT } from './errors.js';
import type { CliTools } from './extension.js';
import { isPlainObject } from '../../../src/json.js';
import { withoutBom } from '../../../src/input.js';
import { generateKeyFile, signingKeyFromFile, type Keyring } from '../../../src/seal/keys.js';
import { loadKeyFile, loadKeyring, writeKeyFile } from '../key-files.js';
import { keyText, type Sealed } from '../../../src/seal/seal.js';
import { sealCap } from '../../../src/seal/trust.js';
import { verifyExport, verifySealed, type VerifyReport } from '../../../src/seal/verify.js';

/** Loads a file through a loader that throws plain Errors, as a CLI usage error. */
function load<T>(loader: (path: string) => T, path: string): T {
  try {
    return loader(path);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

export const loadKeyringFile = (path: string): Keyring => load(loadKeyring, path);

/** Loads a signing key; like ssh, says so when the secret is readable by anyone but its owner. */
export function loadSigningKey(path: string, warn: (text: string) => void = (text) => process.stderr.write(text)) {
  const key = signingKeyFromFile(load(loadKeyFile, path));
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    warn(`tibet-cap-bus: warning: key file ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 ${path}\n`);
  }
  return key;
}

/** Seals a cap with a key file; a self-signed cap that names no key names this one. */
export function sealWithKeyFile(cap: Cap, path: string): Sealed {
  const key = loadSigningKey(path);
  const named = cap.attestation_layer === 'self-signed' && cap.actor_jis_pubkey === null ? { ...cap, actor_jis_pubkey: keyText(key.publicKey) } : cap;
  return sealCap(named, key);
}

/** Sealed bytes from a file: raw COSE_Sign1, or its standard base64 text; URL-safe base64 is named, not misread as raw bytes. */
function sealedBytes(raw: Uint8Array): { ok: true; bytes: Uint8Array } | { ok: false; problem: string } {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1').trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(text) && text.length > 0) return { ok: true, bytes: new Uint8Array(Buffer.from(text, 'base64')) };
  if (/^[A-Za-z0-9\-_=\s]+$/.test(text) && /[-_]/.test(text)) {
    return { ok: false, problem: 'the file is URL-safe base64 (- and _); verify reads raw COSE_Sign1 bytes or standard base64 (+ and /, RFC 4648 §4)' };
  }
  return { ok: true, bytes: new Uint8Array(raw) };
}

export function registerSealCommands(program: Command, tools: CliTools): void {
  program
    .command('keygen')
    .description('write a new Ed25519 key file (mode 0600): {"public_key", "secret_key", "actor"}')
    .requiredOption('--out <file>', 'where to write the key file')
    .option('--actor <name>', 'the actor this key speaks for')
    .option('--force', 'overwrite an existing file')
    .action((o: { out: string; actor?: string; force?: boolean }) => {
      // a dangling link "does not exist", yet writing would create its target wherever it points
      if (lstatOrNull(o.out)?.isSymbolicLink()) throw new CliError(`${o.out} is a symbolic link; a key file is never written through one`);
      if (existsSync(o.out) && !o.force) throw new CliError(`${o.out} exists; pass --force to overwrite it`);
      const keyFile = generateKeyFile(o.actor);
      writeKeyFile(o.out, keyFile);
      tools.out(`${keyFile.public_key}\n`);
    });

  program
    .command('seal')
    .description('seal one cap (a JSON object) as COSE_Sign1; cap_id and created_at are filled in when absent, since the seal covers them')
    .requiredOption('--key <file>', 'key file to seal with')
    .option('--input <file>', 'the cap JSON ("-" reads stdin)', '-')
    .option('--out <file>', 'write the sealed bytes here (default: stdout)')
    .option('--base64', 'write base64 text instead of raw bytes (and a {"sealed": ...} line works in --input files)')
    .action((o: { key: string; input: string; out?: string; base64?: boolean }) => {
      let value: unknown;
      try {
        value = JSON.parse(withoutBom(tools.readText(o.input)));
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(`${o.input}: not JSON (${(error as Error).message})`);
      }
      const parsed = parseCapInput(value);
      if (!parsed.ok) throw new CliError(`${o.input}: invalid cap: ${parsed.error}`);
      const sealed = sealWithKeyFile(completeCap(parsed.input, { clock: systemClock, ids: randomIds() }), o.key);
      const body = o.base64 ? toBase64(sealed.bytes) + '\n' : Buffer.from(sealed.bytes);
      if (o.out !== undefined) writeFileSync(o.out, body);
      else if (typeof body === 'string') tools.out(body);
      else process.stdout.write(body);
    });

  program
    .command('verify')
    .description('verify sealed caps, sealed receipts and export-all documents; one line per problem (exit 0 all good, 1 any bad, 2 unreadable)')
    .option('--keyring <file>', 'keyring binding actors (and the bus) to keys')
    .argument('<paths...>', 'COSE_Sign1 files (raw or base64) or export-all JSON documents')
    .action((paths: string[], o: { keyring?: string }) => {
      const keyring = o.keyring === undefined ? undefined : loadKeyringFile(o.keyring);
      const ctx = { clock: systemClock, ids: randomIds() };
      let bad = 0;
      for (const path of paths) {
        const raw = tools.readBytes(path);
        const asJson = parseJson(raw);
        const sealed = isPlainObject(asJson) ? undefined : sealedBytes(raw);
        if (sealed?.ok === false) {
          tools.out(`${path}: ${sealed.problem}\n`);
          bad++;
          continue;
        }
        const report: VerifyReport = sealed === undefined ? verifyExport(asJson as Record<string, unknown>, { keyring, ctx }) : verifySealed(sealed.bytes, { keyring, ctx });
        for (const problem of report.problems) tools.out(`${path}: ${problem}\n`);
        for (const note of report.notes) tools.out(`${path}: note: ${note}\n`);
        if (report.problems.length > 0) bad++;
        else tools.out(`${path}: OK (${report.caps} caps, ${report.receipts} receipts verified)\n`);
      }
      if (bad > 0) throw new CliError('', EXIT.bad);
    });
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function parseJson(raw: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return undefined;
  }
}

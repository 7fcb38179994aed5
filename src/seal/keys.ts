import { z } from 'zod';
import { fromHex, hex } from '../bytes.js';
import { describeIssues } from '../records/cap.js';
import { keyText, nobleBackend, type Ed25519Backend, type SigningKey } from './seal.js';

/** Key files (one signer's secret) and keyrings (which actor may sign with which key), product.md §3. */

const KEY_TEXT = /^ed25519:[0-9a-f]{64}$/;
const publicKeyText = z.string().regex(KEY_TEXT, 'must be "ed25519:" followed by 64 lowercase hex digits');

export const KeyFileSchema = z
  .object({
    public_key: publicKeyText,
    secret_key: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (the 32-byte Ed25519 seed)'),
    actor: z.string().min(1, 'actor must not be empty').nullable().default(null),
  })
  .strict()
  .meta({
    id: 'KeyFile',
    title: 'KeyFile',
    description: 'An Ed25519 signing key: public key, secret seed and the actor it signs for.',
  });

export type KeyFile = z.output<typeof KeyFileSchema>;

export const KeyringSchema = z
  .object({
    actors: z.record(z.string().min(1, 'actor names must not be empty'), z.array(publicKeyText)),
    bus: publicKeyText.optional(),
  })
  .strict()
  .meta({
    id: 'Keyring',
    title: 'Keyring',
    description: 'Binds actors to the Ed25519 keys they may seal caps with, and names the bus key.',
  });

export type Keyring = z.output<typeof KeyringSchema>;

export function signingKeyFromSeed(seed: Uint8Array, backend: Ed25519Backend = nobleBackend): SigningKey {
  return { seed, publicKey: backend.publicKey(seed) };
}

export function generateKeyFile(actor?: string): KeyFile {
  const key = signingKeyFromSeed(crypto.getRandomValues(new Uint8Array(32)));
  return { public_key: keyText(key.publicKey), secret_key: hex(key.seed), actor: actor ?? null };
}

/** Throws when the stated public key is not the one the seed derives: a mixed-up file signs for nobody. */
export function signingKeyFromFile(keyFile: KeyFile): SigningKey {
  const seed = fromHex(keyFile.secret_key);
  if (seed === null || seed.length !== 32) throw new Error('secret_key must be 64 hex digits');
  const key = signingKeyFromSeed(seed);
  const derived = keyText(key.publicKey);
  if (keyFile.public_key !== derived) throw new Error(`public_key does not match secret_key (the seed derives ${derived})`);
  return key;
}

/** A key file's text, checked: it must parse, and its public key must be the one its seed derives. */
export function parseKeyFile(text: string, source: string): KeyFile {
  const keyFile = parseJsonText(text, `key file ${source}`, KeyFileSchema);
  try {
    signingKeyFromFile(keyFile);
  } catch (err) {
    throw new Error(`key file ${source}: ${(err as Error).message}`);
  }
  return keyFile;
}

export function parseKeyring(text: string, source: string): Keyring {
  return parseJsonText(text, `keyring ${source}`, KeyringSchema);
}

/** The text a key file holds. */
export const keyFileText = (keyFile: KeyFile): string => `${JSON.stringify(keyFile, null, 2)}\n`;

function parseJsonText<T extends z.ZodType>(text: string, what: string, schema: T): z.output<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`${what}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The keys the keyring binds to an actor name (own entries only, so `constructor` binds nothing). */
const boundKeys = (keyring: Keyring, name: string): readonly string[] | undefined => (Object.hasOwn(keyring.actors, name) ? keyring.actors[name] : undefined);

/** True when the keyring binds kidText to every one of the named actors (and at least one is named). */
export function isBound(keyring: Keyring, actorNames: readonly string[], kidText: string): boolean {
  return actorNames.length > 0 && unboundNames(keyring, actorNames, kidText).length === 0;
}

/** The names the keyring does not bind kidText to. */
export function unboundNames(keyring: Keyring, actorNames: readonly string[], kidText: string): string[] {
  return actorNames.filter((name) => !(boundKeys(keyring, name)?.includes(kidText) ?? false));
}

/** The names the keyring binds to keys other than kidText: taken identities a self-signed key may not use. */
export function namesBoundElsewhere(keyring: Keyring, actorNames: readonly string[], kidText: string): string[] {
  return actorNames.filter((name) => {
    const keys = boundKeys(keyring, name);
    return keys !== undefined && keys.length > 0 && !keys.includes(kidText);
  });
}

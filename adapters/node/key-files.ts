import { closeSync, constants, fchmodSync, openSync, readFileSync, writeSync } from 'node:fs';
import { keyFileText, parseKeyFile, parseKeyring, type KeyFile, type Keyring } from '../../src/seal/keys.js';

/** Key files and keyrings on disk; errors are plain Errors naming the file. */

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export const loadKeyFile = (path: string): KeyFile => parseKeyFile(readText(path, 'key file'), path);
export const loadKeyring = (path: string): Keyring => parseKeyring(readText(path, 'keyring'), path);

/** Writes a key file readable by its owner only; the mode is set before the secret is written. */
export function writeKeyFile(path: string, keyFile: KeyFile): void {
  // never through a symbolic link (a secret written wherever a planted link points)
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    // An existing file keeps its old mode on open, so tighten it explicitly.
    fchmodSync(fd, 0o600);
    writeSync(fd, keyFileText(keyFile));
  } finally {
    closeSync(fd);
  }
}

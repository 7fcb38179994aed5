import { spawnSync } from 'node:child_process';

/**
 * Runs test/interop/cose_ref.py, an independent COSE_Sign1 built on Debian's python3-cbor2 and
 * python3-cryptography. In CI a missing Python side is a failure; elsewhere the tests skip.
 */
const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('../interop/cose_ref.py', import.meta.url).pathname;
export const inCi = process.env.CI === 'true' || process.env.CI === '1';

function probe(): string | null {
  const run = spawnSync(PYTHON, ['-c', 'import cbor2, cryptography'], { encoding: 'utf8' });
  if (run.error) return `${PYTHON} is not runnable (${run.error.message})`;
  return run.status === 0 ? null : `${PYTHON} lacks cbor2 or cryptography: ${run.stderr.trim().split('\n').pop()}`;
}

export const missing = probe();
if (missing && !inCi) console.warn(`interop tests skipped: ${missing} (apt-get install python3-cbor2 python3-cryptography)`);

export function python<T>(command: string, request: unknown = null): T {
  // Reached without Python only in CI, where each test must fail, not skip.
  if (missing) throw new Error(`CI needs the Python interop side: ${missing}; apt-get install python3-cbor2 python3-cryptography`);
  const run = spawnSync(PYTHON, [SCRIPT, command], { input: JSON.stringify(request), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`cose_ref.py ${command} failed: ${run.stderr || run.error}`);
  return JSON.parse(run.stdout) as T;
}


/** Durations and sizes as operators write them on a command line. */

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** `0`, `500ms`, `90s`, `15m`, `24h`, `7d` → milliseconds; throws naming the accepted forms. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] ?? (m[1] === '0' ? 'ms' : '')]! : Number.NaN;
  if (!Number.isSafeInteger(ms)) throw new Error(`${JSON.stringify(text)} is not a duration: write a whole number with a unit ms, s, m, h or d (e.g. 24h), or 0`);
  return ms;
}

/** `0`, `1048576`, `512MB`, `1GiB` (1000- or 1024-based units) → bytes; throws naming the accepted forms. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const factor = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && factor !== undefined ? Number(m[1]) * factor : Number.NaN;
  if (!Number.isSafeInteger(bytes)) throw new Error(`${JSON.stringify(text)} is not a size: write a whole number of bytes, optionally with KB, MB, GB, TB or KiB, MiB, GiB, TiB (e.g. 1GiB), or 0`);
  return bytes;
}

/** Wall time and a monotonic timer, injected so tests and replays are deterministic. */
export interface Clock {
  /** Wall-clock time in epoch milliseconds (stamps records, ages sealed_at). */
  now(): number;
  /** Monotonic milliseconds, only ever subtracted (measures latency). */
  monotonic(): number;
}

/** Source of the 16-hex-digit suffixes of cap, receipt and event ids. */
export interface IdSource {
  hex16(): string;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Cryptographically random ids, drawn from a pooled buffer so each id costs no syscall. */
export function randomIds(poolIds = 4096): IdSource {
  const pool = new Uint8Array(poolIds * 8);
  let offset = pool.length;
  return {
    hex16() {
      if (offset === pool.length) {
        // the Web Crypto API: available in Node, Deno, Bun and browsers (at most 64 KiB per call)
        for (let at = 0; at < pool.length; at += 65536) crypto.getRandomValues(pool.subarray(at, at + 65536));
        offset = 0;
      }
      let out = '';
      for (let i = 0; i < 8; i++) out += HEX[pool[offset + i]!]!;
      offset += 8;
      return out;
    },
  };
}

/** Deterministic ids from a seed (SplitMix64), for tests and reproducible runs. */
export function seededIds(seed: number | bigint): IdSource {
  const mask = (1n << 64n) - 1n;
  let state = BigInt(seed) & mask;
  return {
    hex16() {
      state = (state + 0x9e3779b97f4a7c15n) & mask;
      let z = state;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
      z ^= z >> 31n;
      return z.toString(16).padStart(16, '0');
    },
  };
}

/** A clock that only moves when told to (or by `stepMs` per reading of `monotonic`). */
export function manualClock(startMs: number, stepMs = 0): Clock & { advance(ms: number): void } {
  let wall = startMs;
  let mono = 0;
  return {
    now: () => wall,
    monotonic: () => (mono += stepMs),
    advance(ms: number) {
      wall += ms;
      mono += ms;
    },
  };
}

export function isoTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/**
 * Parses an ISO-8601 timestamp the way the reference reads `sealed_at`: a date, optionally a
 * time, optionally an offset; no offset means UTC. Returns epoch ms, or null when unusable.
 */
export function parseIsoTimestamp(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const canonical = parseCanonicalUtc(text);
  if (canonical !== undefined) return canonical;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
    text.trim(),
  );
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s, Number((frac + '000').slice(0, 3)));
  const probe = new Date(ms);
  // Reject rolled-over dates such as 2026-02-30 instead of silently normalising them.
  if (probe.getUTCMonth() !== +mo! - 1 || probe.getUTCDate() !== +d! || +h > 23 || +mi > 59 || +s > 59) return null;
  if (!zone || zone.toUpperCase() === 'Z') return ms;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return ms - sign * offsetMin * 60_000;
}

/** Where the digits of `YYYY-MM-DDTHH:MM:SS.sssZ` are, as [offset, length]. */
const CANONICAL_FIELDS = [
  [0, 4],
  [5, 2],
  [8, 2],
  [11, 2],
  [14, 2],
  [17, 2],
  [20, 3],
] as const;
const CANONICAL_SEPARATORS = [
  [4, '-'],
  [7, '-'],
  [10, 'T'],
  [13, ':'],
  [16, ':'],
  [19, '.'],
  [23, 'Z'],
] as const;

/**
 * The form every cap this bus makes carries (`Date#toISOString`), read without the general
 * regex: created_at is checked on every cap. Undefined for any other form, null for an
 * impossible date or time in this one, exactly as the general reading would decide.
 */
function parseCanonicalUtc(text: string): number | null | undefined {
  if (text.length !== 24) return undefined;
  for (const [at, separator] of CANONICAL_SEPARATORS) if (text[at] !== separator) return undefined;
  const parts = [0, 0, 0, 0, 0, 0, 0];
  for (let f = 0; f < CANONICAL_FIELDS.length; f++) {
    const [at, length] = CANONICAL_FIELDS[f]!;
    let value = 0;
    for (let i = at; i < at + length; i++) {
      const digit = text.charCodeAt(i) - 0x30;
      if (digit < 0 || digit > 9) return undefined;
      value = value * 10 + digit;
    }
    parts[f] = value;
  }
  const [year, month, day, hour, minute, second, ms] = parts as [number, number, number, number, number, number, number];
  // Date.UTC reads years 0-99 as 1900-1999; the general reading has its own checks for that
  if (year < 100) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

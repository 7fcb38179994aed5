import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { fromBase64, toBase64 } from '../src/bytes.js';

// The core's base64 is its own (runtime-neutral); Node's Buffer is the reference it must match.
describe('base64 without Buffer', () => {
  test.prop([fc.uint8Array({ maxLength: 2000 }), fc.nat(16)])('encodes as Buffer does, from any offset', (bytes, cut) => {
    const view = bytes.subarray(Math.min(cut, bytes.length));
    expect(toBase64(view)).toBe(Buffer.from(view).toString('base64'));
  });

  test.prop([fc.uint8Array({ maxLength: 2000 })])('round-trips', (bytes) => {
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
  });

  test.prop([fc.string({ unit: fc.constantFrom(...'ABCxyz019+/-_= \n.*é'), maxLength: 80 })])('decodes any text as Buffer does (both alphabets, junk skipped, = ends)', (text) => {
    expect(Buffer.from(fromBase64(text)).toString('hex')).toBe(Buffer.from(text, 'base64').toString('hex'));
  });
});

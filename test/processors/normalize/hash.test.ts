import { describe, expect, it } from 'vitest';
import { canonical, contentHash } from '../../../processors/normalize/hash.js';

describe('content hash', () => {
  it('does not depend on key order, at any depth', () => {
    const a = contentHash([
      { table: 'instrument', values: { x: 1, y: 'a', attributes: { p: 1, q: [1, 2] } } },
    ]);
    const b = contentHash([
      { table: 'instrument', values: { attributes: { q: [1, 2], p: 1 }, y: 'a', x: 1 } },
    ]);
    expect(a.equals(b)).toBe(true);
    expect(a).toHaveLength(32);
  });

  it('tells apart values that differ in type, table, order of list items or null', () => {
    const hashes = [
      contentHash([{ table: 't', values: { x: 1 } }]),
      contentHash([{ table: 't', values: { x: '1' } }]),
      contentHash([{ table: 'u', values: { x: 1 } }]),
      contentHash([{ table: 't', values: { x: null } }]),
      contentHash([{ table: 't', values: {} }]),
      contentHash([{ table: 't', values: { x: { l: [1, 2] } } }]),
      contentHash([{ table: 't', values: { x: { l: [2, 1] } } }]),
      contentHash([{ table: 't', values: { x: true } }]),
    ].map((h) => h.toString('hex'));
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('writes numbers in their shortest form, -0 as 0', () => {
    expect(canonical({ b: 0.1 + 0.2, a: -0 })).toBe('{"a":0,"b":0.30000000000000004}');
    expect(() => canonical(Buffer.from('x'))).toThrow(TypeError);
  });
});

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

  it('keeps the bytes of earlier versions, so stored hashes stay valid', () => {
    const bar = {
      asset_class: 'futures',
      ts_code: 'CU2403.SHF',
      trade_date: '2024-01-05',
      open: 68000.5,
      high: 68500,
      low: -0,
      close: 0.1 + 0.2,
      pre_close: null,
      vol: 1234,
      amount: 5.5e9,
      name: 'é"\\\n',
    };
    const ext = {
      asset_class: 'futures',
      ts_code: 'CU2403.SHF',
      trade_date: '2024-01-05',
      settle: 68100,
      oi: null,
      attributes: { z: [1, 'a', null, { y: true, b: 2 }], a: {} },
    };
    // Computed by the implementation before the hashing was made cheaper.
    expect(
      contentHash([
        { table: 'market_bar', values: bar },
        { table: 'futures_bar_ext', values: ext },
      ]).toString('hex'),
    ).toBe('b1c2e15f1ac52a64cd539697bc99f64f20f747ce9516948b7a9212d0979f36f8');
    expect(contentHash([{ table: 'market_bar', values: bar }]).toString('hex')).toBe(
      'cdb770c5d324459dc479b53eab99ddfc6920f635523bb4030c68f0437cefa891',
    );
    expect(contentHash([]).toString('hex')).toBe(
      '4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
    );
  });
});

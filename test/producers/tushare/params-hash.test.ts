import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalParams, paramsHash } from '../../../producers/tushare/params-hash.js';

describe('paramsHash', () => {
  it('is the sha256 of the sorted-key JSON without limit and offset', () => {
    const params = { trade_date: '20240102', limit: 6000, exchange: 'SSE', offset: 12_000 };
    expect(canonicalParams(params)).toBe('{"exchange":"SSE","trade_date":"20240102"}');
    expect(paramsHash(params)).toBe(
      createHash('sha256').update('{"exchange":"SSE","trade_date":"20240102"}').digest('hex'),
    );
  });

  it('ignores key order and paging, but not values or types', () => {
    const a = paramsHash({ ts_code: '000001.SZ', start_date: '20240101' });
    expect(paramsHash({ start_date: '20240101', ts_code: '000001.SZ', offset: 5 })).toBe(a);
    expect(paramsHash({ start_date: '20240102', ts_code: '000001.SZ' })).not.toBe(a);
    expect(paramsHash({ n: 1 })).not.toBe(paramsHash({ n: '1' }));
    expect(paramsHash({})).toMatch(/^[0-9a-f]{64}$/);
  });
});

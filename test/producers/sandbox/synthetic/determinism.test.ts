import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../contracts/errors.js';
import { createSyntheticMarket } from '../../../../producers/sandbox/synthetic/index.js';

const QUERIES = [
  ['daily', { trade_date: '20240105' }],
  ['daily', { ts_code: '600005.SH,300003.SZ', start_date: '20230601', end_date: '20231231' }],
  ['fut_daily', { trade_date: '20250310' }],
  ['stock_basic', {}],
  ['sge_daily', { start_date: '20240101', end_date: '20240131' }],
  ['cn_cpi', {}],
  ['stk_mins', { ts_code: '000002.SZ', freq: '5min', start_date: '20240105', end_date: '20240108' }],
  ['fut_holding', { trade_date: '20240105' }],
] as const;

describe('determinism', () => {
  it('gives identical rows for the same seed and options', () => {
    const a = createSyntheticMarket({ seed: 42, size: 'tiny' });
    const b = createSyntheticMarket({ seed: 42, size: 'tiny' });
    for (const [api, params] of QUERIES) {
      const rows = a.query(api, params);
      expect(rows.length, api).toBeGreaterThan(0);
      expect(b.query(api, params), api).toEqual(rows);
    }
  });

  it('gives different prices, names and calendars of listings for a different seed', () => {
    const a = createSyntheticMarket({ seed: 42, size: 'tiny' });
    const b = createSyntheticMarket({ seed: 43, size: 'tiny' });
    const closes = (m: typeof a) => m.query('daily', { trade_date: '20240105' }).map((r) => r.close);
    expect(closes(a)).not.toEqual(closes(b));
    const names = (m: typeof a) => m.query('stock_basic', {}).map((r) => r.name);
    expect(names(a)).not.toEqual(names(b));
    expect(a.query('cn_cpi', {})).not.toEqual(b.query('cn_cpi', {}));
    // The calendar is a fact of the world, not of the seed.
    expect(a.tradingDays()).toEqual(b.tradingDays());
  });

  it('does not let one query change another: answers are the same in any order', () => {
    const a = createSyntheticMarket({ seed: 5, size: 'tiny' });
    const b = createSyntheticMarket({ seed: 5, size: 'tiny' });
    const target = [
      'daily_basic',
      { ts_code: '000003.SZ', start_date: '20240101', end_date: '20240331' },
    ] as const;
    const fresh = a.query(...target);
    for (const [api, params] of QUERIES) b.query(api, params);
    expect(b.query(...target)).toEqual(fresh);
  });

  it('keeps an instrument identical whatever the size of the market around it', () => {
    const tiny = createSyntheticMarket({ seed: 9, size: 'tiny' });
    const small = createSyntheticMarket({ seed: 9, size: 'small' });
    const stocks = tiny.instruments('stock').map((s) => s.tsCode);
    expect(small.instruments('stock').map((s) => s.tsCode)).toEqual(expect.arrayContaining(stocks));
    const params = { ts_code: stocks.slice(0, 12).join(','), start_date: '20230101', end_date: '20230630' };
    expect(small.query('daily', params)).toEqual(tiny.query('daily', params));
    const etf = tiny.instruments('etf')[0]?.tsCode as string;
    expect(small.query('fund_daily', { ts_code: etf })).toEqual(tiny.query('fund_daily', { ts_code: etf }));
    const contract = tiny.listedOn('futures', '20240105').find((c) => c.endsWith('.SHF')) as string;
    expect(small.query('fut_daily', { ts_code: contract })).toEqual(
      tiny.query('fut_daily', { ts_code: contract }),
    );
    expect(small.query('stock_basic', { ts_code: params.ts_code })).toEqual(
      tiny.query('stock_basic', { ts_code: params.ts_code }),
    );
  });

  it('refuses bad options', () => {
    expect(() => createSyntheticMarket({ seed: -1, size: 'tiny' })).toThrow(ValidationError);
    expect(() => createSyntheticMarket({ seed: 1, size: 'huge' as 'tiny' })).toThrow(ValidationError);
    expect(() => createSyntheticMarket({ seed: 1, size: 'tiny', from: '2024-01-01' })).toThrow(
      ValidationError,
    );
    expect(() => createSyntheticMarket({ seed: 1, size: 'tiny', from: '20240101', to: '20240201' })).toThrow(
      ValidationError,
    );
  });

  it('honours a custom range', () => {
    const m = createSyntheticMarket({ seed: 1, size: 'tiny', from: '20240101', to: '20240630' });
    expect(m.tradingDays()[0]).toBe('20240102');
    expect(m.tradingDays().at(-1)).toBe('20240628');
    expect(m.query('daily', {})[0]?.trade_date).toBe('20240628');
    expect(m.query('daily', { trade_date: '20240701' })).toEqual([]);
    expect(m.today).toBe('20240628');
  });
});

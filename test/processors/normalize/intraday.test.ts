import { describe, expect, it } from 'vitest';
import type { NormalizeError } from '../../../contracts/errors.js';
import { normalize, type TableRow } from '../../../processors/normalize/index.js';
import { rawRecord } from '../raw-fixtures.js';

function rowsOf(
  api: string,
  fields: Record<string, unknown>,
  params: Record<string, string> = { freq: '1min' },
) {
  const result = normalize(api, rawRecord(api, fields, { params }));
  if (!result.ok) throw result.error;
  return result.rows as TableRow[];
}

const bar = {
  ts_code: '600000.SH',
  open: 7.05,
  high: 7.06,
  low: 7.04,
  close: 7.05,
  vol: 380000,
  amount: 2679597,
};

describe('normalize: minute bars', () => {
  it('writes a history bar at its China-time instant, with its trading day, the freq of the request, in base units', () => {
    const [row] = rowsOf('stk_mins', { ...bar, trade_time: '2023-08-25 15:00:00' }, { freq: '5min' });
    expect(row?.table).toBe('minute_bar');
    expect(row?.values).toMatchObject({
      asset_class: 'stock',
      ts_code: '600000.SH',
      freq: '5min',
      trade_time: '2023-08-25T15:00:00+08:00',
      trade_date: '2023-08-25',
      vol: 380000,
      amount: 2679597,
      oi: null,
      provisional: false,
    });
  });

  it('puts a futures night bar on the next trading day: Thursday evening on Friday, Friday evening and after midnight on Monday', () => {
    const day = (time: string) =>
      rowsOf('ft_mins', { ...bar, ts_code: 'CU2403.SHF', trade_time: time, oi: 80000 })[0]?.values.trade_date;
    expect(day('2024-03-07 21:01:00')).toBe('2024-03-08');
    expect(day('2024-03-08 00:30:00')).toBe('2024-03-08');
    expect(day('2024-03-08 09:01:00')).toBe('2024-03-08');
    expect(day('2024-03-08 21:01:00')).toBe('2024-03-11');
    expect(day('2024-03-09 01:00:00')).toBe('2024-03-11');
    // The index and stocks have no night session: the date is the day.
    expect(
      rowsOf('idx_mins', { ...bar, ts_code: '000001.SH', trade_time: '2024-03-08 09:30:00' })[0]?.values
        .trade_date,
    ).toBe('2024-03-08');
  });

  it('marks realtime bars provisional, with the same key and hash basis as the history bar but for that mark', () => {
    const [rt] = rowsOf(
      'rt_min',
      { ...bar, time: '2023-08-25 15:00:00' },
      { freq: '5MIN', ts_code: '600000.SH' },
    );
    const [hist] = rowsOf('stk_mins', { ...bar, trade_time: '2023-08-25 15:00:00' }, { freq: '5min' });
    expect(rt?.values).toMatchObject({
      freq: '5min',
      trade_time: '2023-08-25T15:00:00+08:00',
      provisional: true,
    });
    const { content_hash: a, provisional: _p, ...restRt } = rt?.values ?? {};
    const { content_hash: b, provisional: _q, ...restHist } = hist?.values ?? {};
    expect(restRt).toEqual(restHist);
    expect(a).not.toEqual(b);
  });

  it('dead-letters a minute record without freq (written before the envelope carried params), and a bad freq or time', () => {
    const noFreq = normalize(
      'stk_mins',
      rawRecord('stk_mins', { ...bar, trade_time: '2023-08-25 15:00:00' }, { params: {} }),
    );
    expect(noFreq.ok).toBe(false);
    const error = (noFreq as { error: NormalizeError }).error;
    expect(error.code).toBe('XASSET_NORMALIZE_FAILED');
    expect(error.message).toMatch(/missing request param freq/);
    // A record decoded from the old schema has no params at all.
    const old = rawRecord('stk_mins', { ...bar, trade_time: '2023-08-25 15:00:00' });
    delete (old.envelope as Record<string, unknown>).params;
    expect(normalize('stk_mins', old).ok).toBe(false);
    const badFreq = normalize(
      'stk_mins',
      rawRecord('stk_mins', { ...bar, trade_time: '2023-08-25 15:00:00' }, { params: { freq: 'tick' } }),
    );
    expect((badFreq as { error: NormalizeError }).error.message).toMatch(/not a minute frequency/);
    const badTime = normalize(
      'stk_mins',
      rawRecord('stk_mins', { ...bar, trade_time: '2023-02-30 15:00:00' }),
    );
    expect((badTime as { error: NormalizeError }).error.message).toMatch(/not a YYYY-MM-DD HH:MM:SS time/);
  });
});

describe('normalize: realtime snapshots and pre-market data', () => {
  it('writes rt_etf_k and rt_idx_k to realtime_quote, never market_bar', () => {
    const [etf] = rowsOf('rt_etf_k', {
      ...bar,
      ts_code: '510300.SH',
      name: 'ETF',
      trade_time: '2026-01-05 10:00:03',
      num: 12,
    });
    expect(etf?.table).toBe('realtime_quote');
    expect(etf?.values).toMatchObject({
      asset_class: 'etf',
      trade_date: '2026-01-05',
      trade_time: '2026-01-05T10:00:03+08:00',
      num: 12,
    });
    const [idx] = rowsOf('rt_idx_k', {
      ...bar,
      ts_code: '000001.SH',
      name: 'SSE',
      trade_time: '2026-01-05 10:00:03',
    });
    expect(idx?.table).toBe('realtime_quote');
    expect(idx?.values).toMatchObject({ asset_class: 'index', num: null });
  });

  it('writes stk_premarket with its share capital in shares', () => {
    const [row] = rowsOf('stk_premarket', {
      ts_code: '600000.SH',
      trade_date: '20260105',
      total_share: 2935208.04,
      float_share: 2935208.04,
      pre_close: 7.05,
      up_limit: 7.76,
      down_limit: 6.35,
    });
    expect(row?.table).toBe('stk_premarket');
    expect(row?.values).toMatchObject({
      trade_date: '2026-01-05',
      total_share: 29_352_080_400,
      up_limit: 7.76,
    });
  });
});

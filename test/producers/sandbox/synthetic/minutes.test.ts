import { describe, expect, it } from 'vitest';
import type { WireRow } from '../../../../producers/sandbox/dataset.js';
import { createSyntheticMarket } from '../../../../producers/sandbox/synthetic/index.js';
import { num } from './helpers.js';

const market = createSyntheticMarket({ seed: 21, size: 'tiny' });
const day = '20240308';
const dash = '2024-03-08';

/** The daily bar the minutes of a day add up to: first open, last close, extremes, summed volume. */
function aggregate(rows: readonly WireRow[], time: string) {
  const asc = [...rows].sort((a, b) => (String(a[time]) < String(b[time]) ? -1 : 1));
  return {
    open: asc[0]?.open,
    close: asc.at(-1)?.close,
    high: Math.max(...asc.map((r) => num(r, 'high'))),
    low: Math.min(...asc.map((r) => num(r, 'low'))),
    vol: asc.reduce((s, r) => s + num(r, 'vol'), 0),
  };
}

const clockTimes = (rows: readonly WireRow[], time: string) =>
  rows.map((r) => String(r[time]).slice(11, 16)).reverse();

function sessionTimes(sessions: [number, number][], step: number): string[] {
  const out: string[] = [];
  for (const [open, minutes] of sessions)
    for (let m = step; m <= minutes; m += step) {
      const t = open + Math.min(m, minutes);
      out.push(`${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`);
    }
  return out;
}

describe('stock and index minute bars', () => {
  const code = market.tradingOn('stock', day)[0] as string;
  const bar = market.query('daily', { ts_code: code, trade_date: day })[0] as WireRow;

  it('cut a day into 241 one-minute bars (the 09:30 auction bar first) that add up to its daily bar', () => {
    const rows = market.query('stk_mins', {
      ts_code: code,
      freq: '1min',
      start_date: `${dash} 09:00:00`,
      end_date: `${dash} 15:00:00`,
    });
    expect(rows).toHaveLength(241);
    expect(clockTimes(rows, 'trade_time')).toEqual(
      sessionTimes(
        [
          [569, 1],
          [570, 120],
          [780, 120],
        ],
        1,
      ),
    );
    expect(aggregate(rows, 'trade_time')).toEqual({
      open: bar.open,
      close: bar.close,
      high: bar.high,
      low: bar.low,
      vol: num(bar, 'vol') * 100,
    });
    for (const r of rows) {
      expect(num(r, 'high')).toBeGreaterThanOrEqual(Math.max(num(r, 'open'), num(r, 'close')));
      expect(num(r, 'low')).toBeLessThanOrEqual(Math.min(num(r, 'open'), num(r, 'close')));
      expect(num(r, 'amount')).toBeGreaterThanOrEqual(num(r, 'vol') * num(r, 'low') - 0.01);
      expect(num(r, 'amount')).toBeLessThanOrEqual(num(r, 'vol') * num(r, 'high') + 0.01);
    }
  });

  it('cut coarser bars within each session, agreeing with the one-minute ones', () => {
    const ones = market.query('stk_mins', { ts_code: code, freq: '1min', start_date: day, end_date: day });
    const fives = market.query('stk_mins', { ts_code: code, freq: '5min', start_date: day, end_date: day });
    // As the recorded 600000.SH day: the auction bar plus 48.
    expect(fives).toHaveLength(49);
    expect(aggregate(fives, 'trade_time')).toEqual(aggregate(ones, 'trade_time'));
    const hours = market.query('stk_mins', { ts_code: code, freq: '60min', start_date: day, end_date: day });
    expect(clockTimes(hours, 'trade_time')).toEqual(['09:30', '10:30', '11:30', '14:00', '15:00']);
    const firstHour = ones.filter(
      (r) => String(r.trade_time) > `${dash} 09:30:00` && String(r.trade_time) <= `${dash} 10:30:00`,
    );
    expect(hours.at(-1)?.vol).toBe(ones.at(-1)?.vol);
    expect(hours.at(-2)?.vol).toBe(firstHour.reduce((s, r) => s + num(r, 'vol'), 0));
  });

  it('answer the last trading day when no window is given, nothing on a suspended day', () => {
    const rows = market.query('stk_mins', { ts_code: code, freq: '30min' });
    expect(new Set(rows.map((r) => String(r.trade_time).slice(0, 10)))).toEqual(
      new Set([
        `${market.tradingDays().at(-1)?.slice(0, 4)}-${market.tradingDays().at(-1)?.slice(4, 6)}-${market.tradingDays().at(-1)?.slice(6)}`,
      ]),
    );
    const halted = market
      .query('stk_premarket', { start_date: '20230101', end_date: '20261231' })
      .find(
        (p) =>
          market.query('daily', { ts_code: String(p.ts_code), trade_date: String(p.trade_date) }).length ===
          0,
      );
    expect(halted).toBeDefined();
    const h = halted as WireRow;
    expect(
      market.query('stk_mins', {
        ts_code: String(h.ts_code),
        freq: '1min',
        start_date: String(h.trade_date),
        end_date: String(h.trade_date),
      }),
    ).toEqual([]);
  });

  it('serve index minutes that add up to index_daily', () => {
    const index = market.instruments('index')[0]?.tsCode as string;
    const rows = market.query('idx_mins', { ts_code: index, freq: '1min', start_date: day, end_date: day });
    const d = market.query('index_daily', { ts_code: index, trade_date: day })[0] as WireRow;
    expect(rows).toHaveLength(241);
    expect(aggregate(rows, 'trade_time')).toEqual({
      open: d.open,
      close: d.close,
      high: d.high,
      low: d.low,
      vol: num(d, 'vol') * 100,
    });
  });
});

describe('futures minute bars', () => {
  it('cover the night session of the evening before and the day session, adding up to fut_daily', () => {
    const code = market.listedOn('futures', day).find((c) => c.startsWith('CU')) as string;
    // Friday 2024-03-08: SHFE's night session runs Thursday 21:00 to Friday 01:00, then the day.
    const rows = market.query('ft_mins', {
      ts_code: code,
      freq: '1min',
      start_date: '2024-03-07 16:00:00',
      end_date: '2024-03-08 16:00:00',
    });
    const d = market.query('fut_daily', { ts_code: code, trade_date: day })[0] as WireRow;
    expect(rows).toHaveLength(240 + 225);
    const asc = [...rows].reverse().map((r) => String(r.trade_time));
    expect(asc[0]).toBe('2024-03-07 21:01:00');
    expect(asc[239]).toBe('2024-03-08 01:00:00');
    expect(asc[240]).toBe('2024-03-08 09:01:00');
    expect(clockTimes(rows, 'trade_time').slice(240)).toEqual(
      sessionTimes(
        [
          [540, 75],
          [630, 60],
          [810, 90],
        ],
        1,
      ),
    );
    expect(aggregate(rows, 'trade_time')).toEqual({
      open: d.open,
      close: d.close,
      high: d.high,
      low: d.low,
      vol: d.vol,
    });
    expect(rows[0]?.oi).toBe(d.oi);
    const quarter = market.query('ft_mins', { ts_code: code, freq: '15min', start_date: day, end_date: day });
    // A bare date covers the calendar day: the night bars after midnight come first.
    expect(clockTimes(quarter, 'trade_time').slice(5, 11)).toEqual([
      '09:15',
      '09:30',
      '09:45',
      '10:00',
      '10:15',
      '10:45',
    ]);
  });
});

describe('realtime endpoints', () => {
  const today = market.today;
  const dashed = `${today.slice(0, 4)}-${today.slice(4, 6)}-${today.slice(6)}`;

  it('answer rt_min and rt_idx_min for today with the same bars as the history endpoints', () => {
    const code = market.tradingOn('stock', today)[0] as string;
    const rt = market.query('rt_min', { ts_code: code, freq: '5MIN' });
    const hist = market.query('stk_mins', {
      ts_code: code,
      freq: '5min',
      start_date: today,
      end_date: today,
    });
    expect(rt.map(({ time, ...rest }) => ({ trade_time: time, ...rest }))).toEqual(hist);
    expect(String(rt[0]?.time).startsWith(dashed)).toBe(true);
    const index = market.instruments('index')[0]?.tsCode as string;
    expect(market.query('rt_idx_min', { ts_code: index, freq: '60MIN' })).toHaveLength(5);
  });

  it('take comma lists and wildcards, and snapshot the day bar at the close', () => {
    const etfs = market.query('rt_etf_k', { ts_code: '5*.SH,1*.SZ' });
    expect(etfs.map((r) => r.ts_code).sort()).toEqual(market.tradingOn('etf', today));
    for (const r of etfs) {
      const d = market.query('fund_daily', { ts_code: String(r.ts_code), trade_date: today })[0] as WireRow;
      expect([r.open, r.high, r.low, r.close, r.pre_close, r.vol]).toEqual([
        d.open,
        d.high,
        d.low,
        d.close,
        d.pre_close,
        num(d, 'vol') * 100,
      ]);
      expect(r.trade_time).toBe(`${dashed} 15:00:00`);
    }
    const idx = market.query('rt_idx_k', { ts_code: '000001.SH,399001.SZ' });
    expect(idx.map((r) => r.ts_code)).toEqual(['000001.SH', '399001.SZ']);
  });

  it('answer for the today option when one is given', () => {
    const m = createSyntheticMarket({ seed: 21, size: 'tiny', today: '20240310' });
    expect(m.today).toBe('20240308');
    const code = m.instruments('index')[0]?.tsCode as string;
    expect(String(m.query('rt_idx_k', { ts_code: code })[0]?.trade_time)).toBe('2024-03-08 15:00:00');
  });
});

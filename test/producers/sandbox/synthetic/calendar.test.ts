import { describe, expect, it } from 'vitest';
import { createSyntheticMarket } from '../../../../producers/sandbox/synthetic/index.js';

const market = createSyntheticMarket({ seed: 7, size: 'tiny' });
const weekday = (ymd: string) =>
  new Date(
    Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6, 8))),
  ).getUTCDay();
const openSet = new Set(market.tradingDays());

describe('CN trading calendar', () => {
  it('closes every weekend, make-up working Saturdays and Sundays included', () => {
    const days = market.calendar();
    expect(days[0]?.date).toBe('20230101');
    expect(days.at(-1)?.date).toBe('20281231');
    expect(days).toHaveLength(2192);
    for (const d of days)
      if (weekday(d.date) === 0 || weekday(d.date) === 6) expect(d.isOpen, d.date).toBe(false);
    // 2024-02-18 and 2024-10-12 were official working weekend days; exchanges stay shut on them.
    expect(openSet.has('20240218')).toBe(false);
    expect(openSet.has('20241012')).toBe(false);
  });

  it('closes the statutory holidays as the exchanges do', () => {
    const closed = [
      '20240101',
      '20240209',
      '20240212',
      '20240216',
      '20240404',
      '20240405',
      '20240501',
      '20240503',
      '20240610',
      '20240916',
      '20240917',
      '20241001',
      '20241007',
      '20250101',
      '20250128',
      '20250204',
      '20250404',
      '20250505',
      '20250602',
      '20251006',
      '20251008',
      '20230929',
      '20230622',
      '20230623',
      '20260217',
      '20260406',
      '20260619',
      '20260925',
    ];
    for (const d of closed) expect(openSet.has(d), d).toBe(false);
    for (const d of ['20240208', '20240219', '20240506', '20241008', '20250127', '20250205', '20251009'])
      expect(openSet.has(d), d).toBe(true);
  });

  it('has as many trading days as the real SSE in 2024 (242) and 2025 (243)', () => {
    const inYear = (y: string) => market.tradingDays().filter((d) => d.startsWith(y)).length;
    expect(inYear('2024')).toBe(242);
    expect(inYear('2025')).toBe(243);
  });

  it('serves trade_cal with the previous trading day as pretrade_date, for every day', () => {
    const rows = market.query('trade_cal', { start_date: '20230101', end_date: '20261231' });
    expect(rows).toHaveLength(1461);
    expect(rows.every((r) => r.exchange === 'SSE')).toBe(true);
    const ascending = [...rows].reverse();
    let lastOpen = '20221230'; // the Friday before the range
    for (const row of ascending) {
      expect(row.pretrade_date, String(row.cal_date)).toBe(lastOpen);
      expect(row.is_open).toBe(openSet.has(String(row.cal_date)) ? '1' : '0');
      if (row.is_open === '1') lastOpen = String(row.cal_date);
    }
  });

  it('shares the calendar with the futures exchanges and the SGE, and filters is_open', () => {
    const sse = market.query('trade_cal', { start_date: '20240201', end_date: '20240229' });
    for (const exchange of ['SZSE', 'BSE', 'SHFE', 'DCE', 'CZCE', 'CFFEX', 'INE', 'GFEX', 'SGE']) {
      const other = market.query('trade_cal', { exchange, start_date: '20240201', end_date: '20240229' });
      expect(other.map((r) => [r.cal_date, r.is_open, r.pretrade_date])).toEqual(
        sse.map((r) => [r.cal_date, r.is_open, r.pretrade_date]),
      );
    }
    const closed = market.query('trade_cal', { start_date: '20240201', end_date: '20240229', is_open: '0' });
    expect(closed.map((r) => r.cal_date)).toContain('20240212');
    expect(closed.every((r) => r.is_open === '0')).toBe(true);
  });
});

describe('other calendars', () => {
  it('trades FX on every weekday, CN holidays included', () => {
    const fx = market.calendar('FX');
    for (const d of fx) expect(d.isOpen, d.date).toBe(weekday(d.date) !== 0 && weekday(d.date) !== 6);
    const rows = market.query('fx_daily', { trade_date: '20240212' });
    expect(rows).toHaveLength(10);
  });

  it('closes US Treasury series on US federal holidays', () => {
    const us = new Set(market.tradingDays('US'));
    for (const d of [
      '20240101',
      '20240115',
      '20240527',
      '20240619',
      '20240704',
      '20240902',
      '20241128',
      '20241225',
    ])
      expect(us.has(d), d).toBe(false);
    expect(us.has('20240705')).toBe(true);
    // 2026-07-04 is a Saturday: observed on Friday the 3rd.
    expect(us.has('20260703')).toBe(false);
    const dates = market
      .query('us_tycr', { start_date: '20240701', end_date: '20240710' })
      .map((r) => r.date);
    expect(dates).toEqual([
      '20240710',
      '20240709',
      '20240708',
      '20240705',
      '20240703',
      '20240702',
      '20240701',
    ]);
  });

  it('publishes shibor on CN trading days', () => {
    const dates = market.query('shibor', { start_date: '20240201', end_date: '20240229' }).map((r) => r.date);
    expect([...dates].reverse()).toEqual(
      market.tradingDays().filter((d) => d >= '20240201' && d <= '20240229'),
    );
  });
});

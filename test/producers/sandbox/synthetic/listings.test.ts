import { describe, expect, it } from 'vitest';
import type { WireRow } from '../../../../producers/sandbox/dataset.js';
import { createSyntheticMarket } from '../../../../producers/sandbox/synthetic/index.js';

const market = createSyntheticMarket({ seed: 3, size: 'tiny' });
const whole = { start_date: market.from, end_date: market.to };
const days = market.tradingDays();

const datesOf = (rows: readonly WireRow[], code: string) =>
  rows
    .filter((r) => r.ts_code === code)
    .map((r) => String(r.trade_date))
    .sort();

describe('stock listings', () => {
  const listed = market.query('stock_basic', {});
  const delisted = market.query('stock_basic', { list_status: 'D' });
  const premarket = market.query('stk_premarket', whole);

  it('serves listed stocks by default and the delisted ones on request', () => {
    expect(listed.every((r) => r.list_status === 'L' && r.delist_date === null)).toBe(true);
    expect(delisted.length).toBeGreaterThan(0);
    expect(delisted.every((r) => r.list_status === 'D' && typeof r.delist_date === 'string')).toBe(true);
    expect(listed.length + delisted.length).toBe(market.instruments('stock').length);
    const bySse = market.query('stock_basic', { exchange: 'SSE' });
    expect(bySse.length).toBeGreaterThan(0);
    expect(bySse.every((r) => String(r.ts_code).endsWith('.SH'))).toBe(true);
  });

  it('has no row before a listing inside the range, and trades from its list date', () => {
    const fresh = listed.filter((r) => String(r.list_date) > market.from);
    expect(fresh.length).toBeGreaterThan(1);
    for (const s of fresh) {
      const code = String(s.ts_code);
      const dates = datesOf(premarket, code);
      expect(dates[0], code).toBe(s.list_date);
      expect(market.query('daily', { ts_code: code, trade_date: String(s.list_date) }), code).toHaveLength(1);
      const before = days.filter((d) => d < String(s.list_date)).at(-1) as string;
      expect(market.query('daily', { ts_code: code, end_date: before }), code).toEqual([]);
      expect(market.listedOn('stock', before)).not.toContain(code);
    }
  });

  it('has no row from a delisting on', () => {
    for (const s of delisted) {
      const code = String(s.ts_code);
      const dates = datesOf(premarket, code);
      expect(dates.length, code).toBeGreaterThan(0);
      expect(String(dates.at(-1)) < String(s.delist_date), code).toBe(true);
      expect(market.query('daily', { ts_code: code, start_date: String(s.delist_date) })).toEqual([]);
      expect(market.listedOn('stock', String(s.delist_date))).not.toContain(code);
    }
  });

  it('lists per day exactly the codes with a bar (tradingOn) and the listed ones (listedOn)', () => {
    for (const day of [days[0], days[250], days[600], days.at(-1)] as string[]) {
      const bars = market.query('daily', { trade_date: day }).map((r) => r.ts_code);
      expect(market.tradingOn('stock', day)).toEqual([...bars].sort());
      const pre = market.query('stk_premarket', { trade_date: day }).map((r) => r.ts_code);
      expect(market.listedOn('stock', day)).toEqual([...pre].sort());
    }
    expect(market.tradingOn('stock', '20240210')).toEqual([]);
  });
});

describe('ETF listings', () => {
  it('serves fund_daily only between list and delist dates, and fund_basic status follows', () => {
    const basics = market.query('fund_basic', {});
    expect(basics.every((r) => r.market === 'E')).toBe(true);
    expect(market.query('fund_basic', { market: 'O' })).toEqual([]);
    const bars = market.query('fund_daily', whole);
    expect(basics.some((b) => b.status === 'D')).toBe(true);
    expect(basics.some((b) => String(b.list_date) > market.from)).toBe(true);
    for (const b of basics) {
      const dates = datesOf(bars, String(b.ts_code));
      expect(dates.length).toBeGreaterThan(0);
      expect(String(dates[0]) >= String(b.list_date)).toBe(true);
      if (b.delist_date !== null) {
        expect(b.status).toBe('D');
        expect(String(dates.at(-1)) < String(b.delist_date)).toBe(true);
      }
    }
  });
});

describe('futures contracts', () => {
  const basics = ['SHFE', 'DCE', 'CZCE'].flatMap((exchange) => market.query('fut_basic', { exchange }));

  it('lists monthly contracts that expire and new ones that list inside the range', () => {
    expect(market.query('fut_basic', { exchange: 'CFFEX' })).toEqual([]);
    expect(basics.filter((b) => String(b.list_date) > market.from).length).toBeGreaterThan(50);
    expect(basics.filter((b) => String(b.delist_date) < market.to).length).toBeGreaterThan(50);
    for (const b of basics) {
      expect(String(b.d_month)).toBe(String(b.delist_date).slice(0, 6));
      expect(String(b.list_date) < String(b.delist_date)).toBe(true);
      expect(String(b.last_ddate) > String(b.delist_date)).toBe(true);
    }
    const czce = basics.filter((b) => b.exchange === 'CZCE');
    expect(czce.every((b) => /^[A-Z]+\d{3}\.ZCE$/.test(String(b.ts_code)))).toBe(true);
  });

  it('trades each contract on every CN trading day of its life inside the range, and no other', () => {
    for (const b of basics.filter((_, i) => i % 7 === 0)) {
      const code = String(b.ts_code);
      const expected = days.filter((d) => d >= String(b.list_date) && d <= String(b.delist_date));
      const got = market
        .query('fut_daily', { ts_code: code })
        .map((r) => String(r.trade_date))
        .reverse();
      expect(got, code).toEqual(expected);
    }
  });

  it('answers fut_daily per exchange on a day with the contracts alive that day', () => {
    const day = '20240312';
    const rows = market.query('fut_daily', { trade_date: day, exchange: 'DCE' });
    const alive = market.listedOn('futures', day).filter((c) => c.endsWith('.DCE'));
    expect(rows.map((r) => r.ts_code).sort()).toEqual(alive);
    expect(alive.length).toBeGreaterThan(15);
  });
});

describe('indexes', () => {
  it('start an index listed inside the range at its list date', () => {
    const small = createSyntheticMarket({ seed: 3, size: 'small' });
    const fresh = small
      .query('index_basic', { market: 'CSI' })
      .filter((r) => String(r.list_date) > small.from);
    expect(fresh.length).toBeGreaterThan(0);
    for (const i of fresh) {
      const rows = small.query('index_daily', { ts_code: String(i.ts_code) });
      expect(rows.at(-1)?.trade_date).toBe(i.list_date);
    }
  });
});

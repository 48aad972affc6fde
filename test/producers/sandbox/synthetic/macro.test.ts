import { describe, expect, it } from 'vitest';
import type { WireRow } from '../../../../producers/sandbox/dataset.js';
import { createSyntheticMarket } from '../../../../producers/sandbox/synthetic/index.js';
import { num } from './helpers.js';

const market = createSyntheticMarket({ seed: 31, size: 'tiny' });

describe('CN macro series', () => {
  it('publishes a month once released, the 15th of the month after', () => {
    const m = createSyntheticMarket({ seed: 31, size: 'tiny', from: '20230101', to: '20240314' });
    const months = m.query('cn_cpi', {}).map((r) => r.month);
    expect(months[0]).toBe('202401');
    expect(months.at(-1)).toBe('202301');
    expect(months).toHaveLength(13);
    const after = createSyntheticMarket({ seed: 31, size: 'tiny', from: '20230101', to: '20240315' });
    expect(after.query('cn_cpi', {})[0]?.month).toBe('202402');
    expect(m.query('cn_gdp', {}).map((r) => r.quarter)).toEqual(['2023Q4', '2023Q3', '2023Q2', '2023Q1']);
  });

  it('keeps CPI levels at 100 + yoy and PPI accumulations as year-to-date averages', () => {
    for (const r of market.query('cn_cpi', {}))
      expect(num(r, 'nt_val')).toBeCloseTo(100 + num(r, 'nt_yoy'), 6);
    const ppi = market.query('cn_ppi', { start_m: '202401', end_m: '202403' }).reverse();
    expect(ppi.map((r) => r.month)).toEqual(['202401', '202402', '202403']);
    const avg = (ppi.reduce((s, r) => s + num(r, 'ppi_yoy'), 0) / 3).toFixed(1);
    expect(num(ppi[2] as WireRow, 'ppi_accu')).toBeCloseTo(Number(avg), 1);
  });

  it('derives money supply growth from the levels', () => {
    const rows = market.query('cn_m', {}).reverse();
    for (let i = 12; i < rows.length; i++) {
      const now = rows[i] as WireRow;
      expect(num(now, 'm2_yoy')).toBeCloseTo(
        (num(now, 'm2') / num(rows[i - 12] as WireRow, 'm2') - 1) * 100,
        0,
      );
      expect(num(now, 'm1_mom')).toBeCloseTo(
        (num(now, 'm1') / num(rows[i - 1] as WireRow, 'm1') - 1) * 100,
        1,
      );
    }
  });

  it('adds GDP parts up to the total, cumulative through the year', () => {
    const rows = market.query('cn_gdp', { start_q: '2024Q1', end_q: '2024Q4' }).reverse();
    expect(rows.map((r) => r.quarter)).toEqual(['2024Q1', '2024Q2', '2024Q3', '2024Q4']);
    for (const r of rows) expect(num(r, 'pi') + num(r, 'si') + num(r, 'ti')).toBeCloseTo(num(r, 'gdp'), 1);
    for (let i = 1; i < rows.length; i++)
      expect(num(rows[i] as WireRow, 'gdp')).toBeGreaterThan(num(rows[i - 1] as WireRow, 'gdp'));
  });

  it('serves shibor under its Tushare column names', () => {
    const row = market.query('shibor', { date: '20240105' })[0] as WireRow;
    expect(Object.keys(row)).toEqual(['date', 'on', '1w', '2w', '1m', '3m', '6m', '9m', '1y']);
    expect(num(row, 'on')).toBeGreaterThan(0);
  });
});

describe('US Treasury series', () => {
  it('quote bills below their coupon-equivalent yield, and real yields below nominal ones', () => {
    const bills = market.query('us_tbr', { start_date: '20240101', end_date: '20240331' });
    for (const r of bills)
      for (const w of ['w4', 'w13', 'w52']) expect(num(r, `${w}_bd`)).toBeLessThan(num(r, `${w}_ce`));
    const nominal = new Map(
      market.query('us_tycr', { start_date: '20240101', end_date: '20240331' }).map((r) => [r.date, r]),
    );
    for (const r of market.query('us_trycr', { start_date: '20240101', end_date: '20240331' }))
      expect(num(r, 'y10')).toBeLessThan(num(nominal.get(r.date) as WireRow, 'y10'));
  });
});

import { endpoint } from '../../../contracts/catalog/index.js';
import type { WireRow } from '../dataset.js';
import type { Query } from '../filter.js';
import type { TradingCalendar } from './calendar.js';
import { monthOf, parseYmd, yearOf, yyyymm } from './dates.js';
import type { Market } from './market.js';
import { hashString, Rng } from './prng.js';
import { round, shapeOf, type Values } from './rows.js';

/**
 * Macro series. Which series an endpoint has, and what each column means, is read from the
 * catalog's field names: `<series>_<val|yoy|mom|accu>` for price indexes, `<level>` with
 * `<level>_yoy`/`_mom` for money supply and GDP, tenors (`on`, `w1`, `m3`, `y10`, `w13_bd` …) for
 * rate curves. Monthly data appears once it would have been released (the 15th of the next month),
 * quarterly GDP on the 20th of the month after the quarter, daily rates on their own calendar
 * (shibor: CN trading days; US Treasury series: US bond-market days).
 */

/** All rows of a macro endpoint, built once per market and filtered per query. */
const memo = new WeakMap<Market, Map<string, WireRow[]>>();

function cached(m: Market, apiName: string, make: () => WireRow[]): WireRow[] {
  let byApi = memo.get(m);
  if (byApi === undefined) {
    byApi = new Map();
    memo.set(m, byApi);
  }
  let rows = byApi.get(apiName);
  if (rows === undefined) {
    rows = make();
    byApi.set(apiName, rows);
  }
  return rows;
}

/** Months from the range's first month whose release (the 15th of the month after) falls in range. */
function releasedMonths(m: Market): { year: number; month: number; key: string }[] {
  const from = parseYmd(m.from);
  const to = m.to;
  const out: { year: number; month: number; key: string }[] = [];
  for (let k = yearOf(from) * 12 + monthOf(from) - 1; ; k++) {
    const year = Math.floor(k / 12);
    const month = (k % 12) + 1;
    if (`${yyyymm(year, month + 1)}15` > to) break;
    out.push({ year, month, key: yyyymm(year, month) });
  }
  return out;
}

/** A mean-reverting series with its own stream. */
function ar(seed: number, n: number, start: number, mean: number, keep: number, noise: number): number[] {
  const rng = new Rng(seed);
  const out: number[] = [];
  let x = start;
  for (let i = 0; i < n; i++) {
    x = keep * x + (1 - keep) * mean + noise * rng.clippedNormal(3);
    out.push(x);
  }
  return out;
}

/**
 * CPI and PPI: per series a year-on-year rate (percent), a small month-on-month rate, and a
 * year-to-date average. A series with a `_val` column is an index level (last year = 100), and so
 * is its `_accu`; without one, `_accu` is a percent.
 */
function priceIndex(m: Market, apiName: string, center: number, spread: number, decimals: number): WireRow[] {
  return cached(m, apiName, () => {
    const shape = shapeOf(apiName);
    const months = releasedMonths(m);
    const series = new Map<string, Set<string>>();
    for (const f of shape.fields) {
      const match = /^(.+)_(val|yoy|mom|accu)$/.exec(f.name);
      if (match === null) continue;
      const kinds = series.get(match[1] as string) ?? new Set();
      kinds.add(match[2] as string);
      series.set(match[1] as string, kinds);
    }
    const rows: Values[] = months.map((mo) => ({ month: mo.key }));
    const national = ar(
      hashString(`${apiName}:national`, m.seed),
      months.length,
      center,
      center,
      0.85,
      spread,
    );
    for (const [name, kinds] of series) {
      const rng = new Rng(hashString(`${apiName}:${name}`, m.seed));
      const offset = spread * rng.normal();
      const own = ar(hashString(`${apiName}:${name}:own`, m.seed), months.length, 0, 0, 0.7, spread * 0.4);
      let ytd = 0;
      let count = 0;
      months.forEach((mo, i) => {
        if (mo.month === 1) {
          ytd = 0;
          count = 0;
        }
        const yoy = round((national[i] as number) + offset + (own[i] as number), decimals);
        ytd += yoy;
        count++;
        const row = rows[i] as Values;
        const level = kinds.has('val');
        if (kinds.has('yoy')) row[`${name}_yoy`] = yoy;
        if (kinds.has('mom')) row[`${name}_mom`] = round(0.1 + spread * 0.5 * rng.clippedNormal(3), decimals);
        if (level) row[`${name}_val`] = round(100 + yoy, decimals);
        if (kinds.has('accu')) row[`${name}_accu`] = round((level ? 100 : 0) + ytd / count, decimals);
      });
    }
    return rows.map((v) => shape.build(v));
  });
}

/** Money supply levels (hundred million CNY) at the start of 2022, by catalog column. */
const MONEY_LEVELS: Readonly<Record<string, number>> = { m0: 90_000, m1: 640_000, m2: 2_400_000 };

/** M0/M1/M2: levels that grow about 8–10% a year, with yoy and mom computed from the levels. */
function moneySupply(m: Market, apiName: string): WireRow[] {
  return cached(m, apiName, () => {
    const shape = shapeOf(apiName);
    const months = releasedMonths(m);
    const rows: Values[] = months.map((mo) => ({ month: mo.key }));
    const levels = shape.fields
      .filter((f) => f.type === 'float' && !/_(yoy|mom)$/.test(f.name))
      .map((f) => f.name);
    for (const name of levels) {
      const rng = new Rng(hashString(`${apiName}:${name}`, m.seed));
      const n = months.length + 12;
      const series: number[] = [];
      let level = (MONEY_LEVELS[name] ?? 100_000) * rng.between(0.97, 1.03);
      for (let i = 0; i < n; i++) {
        // December and the Spring Festival month lift cash; the rest is trend plus noise.
        const seasonal = (i % 12 === 11 ? 0.02 : 0) - (i % 12 === 2 ? 0.015 : 0);
        level *= 1 + 0.0072 + seasonal + 0.004 * rng.clippedNormal(3);
        series.push(level);
      }
      months.forEach((_, i) => {
        const now = series[i + 12] as number;
        const row = rows[i] as Values;
        row[name] = round(now, 2);
        row[`${name}_yoy`] = round((now / (series[i] as number) - 1) * 100, 1);
        row[`${name}_mom`] = round((now / (series[i + 11] as number) - 1) * 100, 2);
      });
    }
    return rows.map((v) => shape.build(v));
  });
}

/**
 * Quarterly GDP, year to date. The first level column is the total; the others are its parts
 * (primary, secondary, tertiary industry) and add up to it.
 */
function gdp(m: Market, apiName: string): WireRow[] {
  return cached(m, apiName, () => {
    const shape = shapeOf(apiName);
    const levels = shape.fields
      .filter((f) => f.type === 'float' && !f.name.endsWith('_yoy'))
      .map((f) => f.name);
    const [total, ...parts] = levels;
    if (total === undefined) return [];
    const from = parseYmd(m.from);
    const rng = new Rng(hashString(apiName, m.seed));
    const quarterShare = [0.235, 0.25, 0.255, 0.26];
    const partShare = parts.map((_, i) => [0.07, 0.38][i] ?? 0);
    const partShift = [-1, 0.5, 0.3];
    const rows: WireRow[] = [];
    let cumulative = 0;
    for (let year = yearOf(from); ; year++) {
      const annual = 1_210_000 * 1.05 ** (year - 2022) * rng.between(0.99, 1.01);
      cumulative = 0;
      let done = false;
      for (let q = 1; q <= 4; q++) {
        if (`${yyyymm(year, q * 3 + 1)}20` > m.to) {
          done = true;
          break;
        }
        cumulative += annual * (quarterShare[q - 1] as number);
        const values: Values = { quarter: `${year}Q${q}` };
        const totalValue = round(cumulative, 1);
        values[total] = totalValue;
        values[`${total}_yoy`] = round(5 + 0.4 * rng.clippedNormal(3), 1);
        let rest = totalValue;
        parts.forEach((name, i) => {
          const last = i === parts.length - 1;
          const v = last
            ? round(rest, 1)
            : round(totalValue * (partShare[i] as number) * rng.between(0.95, 1.05), 1);
          rest -= v;
          values[name] = v;
          values[`${name}_yoy`] = round(5 + (partShift[i] ?? 0) + 0.6 * rng.clippedNormal(3), 1);
        });
        rows.push(shape.build(values));
      }
      if (done) break;
    }
    return rows;
  });
}

/** Years to maturity of a tenor column: `on`, `w2`, `m3`, `y10`, `w13_bd`. */
export function tenorYears(name: string): number | undefined {
  if (name === 'on') return 1 / 365;
  const match = /^([wmy])(\d+)(?:_|$)/.exec(name);
  if (match === null) return undefined;
  const n = Number(match[2]);
  return match[1] === 'w' ? (n * 7) / 365 : match[1] === 'm' ? n / 12 : n;
}

interface CurveState {
  level: Float64Array;
  slope: Float64Array;
  curvature: Float64Array;
}

/** Level, slope and curvature factors of a yield curve on a calendar, each a slow mean-reverting walk. */
function curveState(m: Market, key: string, cal: TradingCalendar, level: number, slope: number): CurveState {
  return {
    level: m.levelPath(
      `${key}:level`,
      cal,
      level,
      (rng, x) => x + (level - x) / 80 + 0.03 * rng.clippedNormal(3),
    ),
    slope: m.levelPath(
      `${key}:slope`,
      cal,
      slope,
      (rng, x) => x + (slope - x) / 150 + 0.02 * rng.clippedNormal(3),
    ),
    curvature: m.levelPath(`${key}:curv`, cal, 0, (rng, x) => x - x / 100 + 0.02 * rng.clippedNormal(3)),
  };
}

/** Nelson–Siegel: long-end level, short-minus-long slope, a hump in the middle. */
function yieldAt(c: CurveState, t: number, years: number): number {
  const x = years / 1.5;
  const load = (1 - Math.exp(-x)) / x;
  return (
    (c.level[t + 1] as number) +
    (c.slope[t + 1] as number) * load +
    (c.curvature[t + 1] as number) * (load - Math.exp(-x))
  );
}

/** One row per open day of a calendar, values from a function of (day index, catalog field). */
function dailySeries(
  m: Market,
  apiName: string,
  cal: TradingCalendar,
  value: (t: number, field: string, date: string) => number | null,
): WireRow[] {
  return cached(m, apiName, () => {
    const shape = shapeOf(apiName);
    const time = endpoint(apiName).timeField ?? 'date';
    return cal.days.map((date, t) => {
      const values: Values = { [time]: date };
      for (const f of shape.fields) if (f.name !== time) values[f.name] = value(t, f.name, date);
      return shape.build(values);
    });
  });
}

/** Columns the catalog notes as published only from a date on (`from 2022-10-19 on`). */
function publishedFrom(apiName: string, field: string): string | undefined {
  const doc = endpoint(apiName).fields.find((f) => f.name === field)?.doc;
  const match = /from (\d{4})-(\d{2})-(\d{2}) on/.exec(doc ?? '');
  return match === null ? undefined : `${match[1]}${match[2]}${match[3]}`;
}

function usNominal(m: Market): CurveState {
  return curveState(m, 'us:nominal', m.us, 4.2, -0.6);
}

function usBreakeven(m: Market): Float64Array {
  return m.levelPath('us:breakeven', m.us, 2.3, (rng, x) => x + (2.3 - x) / 60 + 0.02 * rng.clippedNormal(3));
}

export const macro = {
  cn_cpi: (m: Market, q: Query) => priceIndex(m, q.apiName, 1.2, 0.35, 1),
  cn_ppi: (m: Market, q: Query) => priceIndex(m, q.apiName, -1.5, 0.8, 1),
  cn_m: (m: Market, q: Query) => moneySupply(m, q.apiName),
  cn_gdp: (m: Market, q: Query) => gdp(m, q.apiName),
  shibor: (m: Market, q: Query) => {
    const curve = curveState(m, 'cn:shibor', m.cn, 2.2, -0.6);
    return dailySeries(m, q.apiName, m.cn, (t, field) => {
      const years = tenorYears(field) ?? 1;
      return round(yieldAt(curve, t, years), 3);
    });
  },
  us_tycr: (m: Market, q: Query) =>
    dailySeries(m, q.apiName, m.us, (t, field, date) => {
      const since = publishedFrom(q.apiName, field);
      if (since !== undefined && date < since) return null;
      return round(Math.max(0.01, yieldAt(usNominal(m), t, tenorYears(field) ?? 10)), 2);
    }),
  us_trycr: (m: Market, q: Query) =>
    dailySeries(m, q.apiName, m.us, (t, field) => {
      const years = tenorYears(field) ?? 10;
      return round(
        yieldAt(usNominal(m), t, years) - (usBreakeven(m)[t + 1] as number) - 0.02 * Math.log(years),
        2,
      );
    }),
  us_tbr: (m: Market, q: Query) =>
    dailySeries(m, q.apiName, m.us, (t, field) => {
      const years = tenorYears(field) ?? 0.25;
      const ce = Math.max(0.01, yieldAt(usNominal(m), t, years));
      // The bank-discount rate sits below the coupon-equivalent yield, more so for longer bills.
      return field.endsWith('_bd') ? round((ce * (360 / 365)) / (1 + (ce / 100) * years), 2) : round(ce, 2);
    }),
  us_tltr: (m: Market, q: Query) =>
    dailySeries(m, q.apiName, m.us, (t, field) => {
      const composite = yieldAt(usNominal(m), t, 25);
      const twenty = yieldAt(usNominal(m), t, 20);
      if (field === 'ltc') return round(composite, 2);
      if (field === 'cmt') return round(twenty, 2);
      // The extrapolation factor: how far the composite sits above the 20-year point.
      return round(composite - twenty, 2);
    }),
  us_trltr: (m: Market, q: Query) =>
    dailySeries(m, q.apiName, m.us, (t) =>
      round(yieldAt(usNominal(m), t, 20) - (usBreakeven(m)[t + 1] as number), 2),
    ),
};

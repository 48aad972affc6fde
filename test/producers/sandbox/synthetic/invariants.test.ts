import { describe, expect, it } from 'vitest';
import type { WireRow } from '../../../../producers/sandbox/dataset.js';
import { createSyntheticMarket } from '../../../../producers/sandbox/synthetic/index.js';
import { boardLimit, groupAscending, limitPrice, num, round } from './helpers.js';

const market = createSyntheticMarket({ seed: 20_240_101, size: 'tiny' });
const whole = { start_date: market.from, end_date: market.to };
const daily = market.query('daily', whole);
const premarket = market.query('stk_premarket', whole);
const key = (r: WireRow) => `${r.ts_code}|${r.trade_date}`;
const dailyByKey = new Map(daily.map((r) => [key(r), r]));
const adjFactors = market.query('adj_factor', whole);

/** Days whose adj_factor is above the stock's previous one: the ex-rights days. */
const exRightsDays = new Set(
  [...groupAscending(adjFactors, 'ts_code', 'trade_date').values()].flatMap((list) =>
    list.filter((r, i) => i > 0 && num(r, 'adj_factor') > num(list[i - 1] as WireRow, 'adj_factor')).map(key),
  ),
);

/**
 * Checks over many rows collect the rows that break a rule and assert the list is empty, so a
 * failure names every offending row at once (and thousands of rows stay fast to check).
 */
function violations(rows: readonly WireRow[], broken: (r: WireRow) => string | false): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const why = broken(r);
    if (why !== false) out.push(`${key(r)}: ${why}`);
  }
  return out.slice(0, 20);
}

/** The bar checks every daily endpoint shares; `pctDecimals` as the endpoint rounds. */
function barViolations(rows: readonly WireRow[], pctDecimals: number, priceDecimals: number): string[] {
  return violations(rows, (r) => {
    const [o, h, l, c, pre] = ['open', 'high', 'low', 'close', 'pre_close'].map((k) => num(r, k)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    if (h < Math.max(o, c)) return 'high below open or close';
    if (l > Math.min(o, c)) return 'low above open or close';
    if (l <= 0) return 'non-positive low';
    if (num(r, 'change') !== round(c - pre, priceDecimals)) return `change ${r.change} vs ${c} - ${pre}`;
    if (Math.abs(num(r, 'pct_chg') - (num(r, 'change') / pre) * 100) > 0.5 * 10 ** -pctDecimals + 1e-9)
      return `pct_chg ${r.pct_chg}`;
    if (num(r, 'vol') <= 0 || num(r, 'amount') <= 0) return 'no volume or amount';
    return false;
  });
}

/**
 * pre_close of each row must be the close of the same instrument's previous row, except on a day
 * `exRights` names: there it is the ex-rights reference, below the last close.
 */
function chainViolations(
  rows: readonly WireRow[],
  exRights: (r: WireRow) => boolean = () => false,
): { broken: string[]; gaps: number } {
  const index = new Map(market.tradingDays().map((d, i) => [d, i]));
  const broken: string[] = [];
  let gaps = 0;
  for (const list of groupAscending(rows, 'ts_code', 'trade_date').values()) {
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1] as WireRow;
      const cur = list[i] as WireRow;
      if (exRights(cur) ? num(cur, 'pre_close') >= num(prev, 'close') : cur.pre_close !== prev.close)
        broken.push(`${key(cur)}: pre_close ${cur.pre_close}, last close ${prev.close}`);
      if ((index.get(String(cur.trade_date)) as number) - (index.get(String(prev.trade_date)) as number) > 1)
        gaps++;
    }
  }
  return { broken: broken.slice(0, 20), gaps };
}

describe('stock daily bars', () => {
  it('covers the range with tens of thousands of rows', () => {
    expect(daily.length).toBeGreaterThan(30_000);
  });

  it('keeps OHLC order and change/pct_chg computed from the rounded prices', () => {
    expect(barViolations(daily, 2, 2)).toEqual([]);
  });

  it('chains pre_close to the last close across suspensions, and below it on ex-rights days', () => {
    const { broken, gaps } = chainViolations(daily, (r) => exRightsDays.has(key(r)));
    expect(broken).toEqual([]);
    expect(gaps).toBeGreaterThan(10);
    expect(exRightsDays.size).toBeGreaterThan(20);
  });

  it('has suspended days: listed (a pre-market row) but no bar', () => {
    const premarketKeys = new Set(premarket.map(key));
    expect(daily.filter((r) => !premarketKeys.has(key(r)))).toEqual([]);
    expect(premarket.filter((r) => !dailyByKey.has(key(r))).length).toBeGreaterThan(20);
  });

  it('keeps every price inside the day limits and clamps limit moves to the limit price', () => {
    const limits = new Map(premarket.map((r) => [key(r), r]));
    let ups = 0;
    let downs = 0;
    const broken = violations(daily, (r) => {
      const p = limits.get(key(r)) as WireRow;
      const pre = num(r, 'pre_close');
      const pct = boardLimit(String(r.ts_code));
      if (p.pre_close !== pre) return 'pre-market pre_close differs';
      if (p.up_limit !== limitPrice(pre, pct) || p.down_limit !== limitPrice(pre, -pct))
        return 'limit prices off the rule';
      if (num(r, 'high') > num(p, 'up_limit') || num(r, 'low') < num(p, 'down_limit'))
        return 'outside the limits';
      if (r.close === p.up_limit) ups++;
      if (r.close === p.down_limit) downs++;
      return false;
    });
    expect(broken).toEqual([]);
    expect(ups).toBeGreaterThan(10);
    expect(downs).toBeGreaterThan(10);
  });

  it('prices amount as volume times a price inside the day range (lots, thousand CNY)', () => {
    const broken = violations(daily, (r) => {
      const vol = num(r, 'vol');
      const amount = num(r, 'amount');
      return amount < (vol * 100 * num(r, 'low')) / 1000 - 0.001 ||
        amount > (vol * 100 * num(r, 'high')) / 1000 + 0.001
        ? `amount ${amount}`
        : false;
    });
    expect(broken).toEqual([]);
  });
});

describe('ETF and index daily bars', () => {
  it('hold the same invariants', () => {
    const funds = market.query('fund_daily', whole);
    expect(funds.length).toBeGreaterThan(5000);
    expect(barViolations(funds, 2, 3)).toEqual([]);
    expect(chainViolations(funds).broken).toEqual([]);
    for (const code of market.instruments('index').map((i) => i.tsCode)) {
      const rows = market.query('index_daily', { ts_code: code });
      expect(rows.length, code).toBeGreaterThan(900);
      expect(barViolations(rows, 4, 4)).toEqual([]);
      expect(chainViolations(rows).broken).toEqual([]);
    }
  });
});

describe('adj_factor', () => {
  it('has a row for every listed day, suspended ones included, and never falls', () => {
    const premarketKeys = new Set(premarket.map(key));
    expect(adjFactors.map(key).sort()).toEqual([...premarketKeys].sort());
    const falls = [...groupAscending(adjFactors, 'ts_code', 'trade_date').values()].flatMap((list) =>
      list.filter((r, i) => i > 0 && num(r, 'adj_factor') < num(list[i - 1] as WireRow, 'adj_factor')),
    );
    expect(falls.map(key)).toEqual([]);
  });

  it('steps exactly where daily prices go ex-rights: pre_close × factor = last close × last factor', () => {
    const factor = new Map(adjFactors.map((r) => [key(r), num(r, 'adj_factor')]));
    const offenders: string[] = [];
    for (const list of groupAscending(daily, 'ts_code', 'trade_date').values()) {
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1] as WireRow;
        const cur = list[i] as WireRow;
        const before = num(prev, 'close') * (factor.get(key(prev)) as number);
        const after = num(cur, 'pre_close') * (factor.get(key(cur)) as number);
        // Factors carry six decimals: the two sides agree to well under a cent per share.
        if (Math.abs(after / before - 1) > 1e-5) offenders.push(`${key(cur)}: ${after} vs ${before}`);
      }
    }
    expect(offenders.slice(0, 20)).toEqual([]);
  });
});

describe('daily_basic, moneyflow, stk_premarket', () => {
  const params = { start_date: '20240101', end_date: '20240630' };

  it('values each traded day from its close and the share capital', () => {
    const rows = market.query('daily_basic', params);
    expect(rows.length).toBeGreaterThan(4000);
    const broken = violations(rows, (r) => {
      const d = dailyByKey.get(key(r));
      if (d === undefined) return 'no daily bar';
      if (r.close !== d.close) return 'close differs from daily';
      if (Math.abs(num(r, 'turnover_rate') - num(d, 'vol') / num(r, 'float_share')) > 1e-4)
        return 'turnover_rate';
      if (Math.abs(num(r, 'total_mv') - num(r, 'close') * num(r, 'total_share')) > 1e-3) return 'total_mv';
      if (num(r, 'float_share') > num(r, 'total_share') || num(r, 'free_share') > num(r, 'float_share'))
        return 'shares';
      if (r.pe !== null && num(r, 'pe') <= 0) return 'negative pe';
      return false;
    });
    expect(broken).toEqual([]);
    expect(rows.some((r) => r.pe === null)).toBe(true);
  });

  it('splits each day volume into active buys and sells by order size', () => {
    const rows = market.query('moneyflow', params);
    expect(rows.length).toBeGreaterThan(4000);
    const broken = violations(rows, (r) => {
      const cols = Object.keys(r);
      const sum = (re: RegExp) => cols.filter((c) => re.test(c)).reduce((s, c) => s + num(r, c), 0);
      const buys = sum(/^buy_.+_vol$/);
      const sells = sum(/^sell_.+_vol$/);
      if (buys + sells !== dailyByKey.get(key(r))?.vol) return 'buys + sells differ from the day volume';
      if (r.net_mf_vol !== buys - sells) return 'net_mf_vol';
      if (Math.abs(num(r, 'net_mf_amount') - (sum(/^buy_.+_amount$/) - sum(/^sell_.+_amount$/))) > 0.02)
        return 'net_mf_amount';
      return false;
    });
    expect(broken).toEqual([]);
  });
});

describe('futures daily bars', () => {
  const rows = market.query('fut_daily', { start_date: '20240101', end_date: '20241231' });
  const basics = new Map(
    ['SHFE', 'DCE', 'CZCE'].flatMap((exchange) =>
      market.query('fut_basic', { exchange }).map((b) => [b.ts_code, b]),
    ),
  );

  it('chains settle to pre_settle, close to pre_close and oi to oi_chg', () => {
    expect(rows.length).toBeGreaterThan(10_000);
    const broken: string[] = [];
    for (const list of groupAscending(rows, 'ts_code', 'trade_date').values()) {
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1] as WireRow;
        const cur = list[i] as WireRow;
        if (cur.pre_settle !== prev.settle) broken.push(`${key(cur)}: pre_settle`);
        if (cur.pre_close !== prev.close) broken.push(`${key(cur)}: pre_close`);
        if (cur.oi_chg !== num(cur, 'oi') - num(prev, 'oi')) broken.push(`${key(cur)}: oi_chg`);
      }
    }
    expect(broken.slice(0, 20)).toEqual([]);
  });

  it('keeps OHLC order, the price limit, change1/change2, listing dates, and delivery settle on the last day only', () => {
    const broken = violations(rows, (r) => {
      const [o, h, l, c, s, ps] = ['open', 'high', 'low', 'close', 'settle', 'pre_settle'].map((k) =>
        num(r, k),
      ) as [number, number, number, number, number, number];
      if (h < Math.max(o, c) || l > Math.min(o, c)) return 'OHLC order';
      if (Math.abs(c / ps - 1) > 0.11 + 1e-6) return 'close beyond the limit';
      if (Math.abs(num(r, 'change1') - (c - ps)) > 1e-6 || Math.abs(num(r, 'change2') - (s - ps)) > 1e-6)
        return 'change1/2';
      const basic = basics.get(r.ts_code) as WireRow;
      const date = String(r.trade_date);
      if (date < String(basic.list_date) || date > String(basic.delist_date))
        return 'outside the contract life';
      if ((date === basic.delist_date) !== (r.delv_settle !== null)) return 'delv_settle';
      if (r.delv_settle !== null && r.delv_settle !== r.settle) return 'delv_settle differs from settle';
      return false;
    });
    expect(broken).toEqual([]);
    expect(rows.some((r) => r.delv_settle !== null)).toBe(true);
  });
});

describe('SGE and FX bars', () => {
  it('chains SGE changes and prices amount from the average price', () => {
    const rows = market.query('sge_daily', whole);
    const broken: string[] = [];
    for (const [code, list] of groupAscending(rows, 'ts_code', 'trade_date')) {
      const decimals = code.startsWith('Ag') ? 3 : 2;
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1] as WireRow;
        const cur = list[i] as WireRow;
        if (cur.change !== round(num(cur, 'close') - num(prev, 'close'), decimals))
          broken.push(`${key(cur)}: change`);
        if (Math.abs(num(cur, 'pct_change') - (num(cur, 'change') / num(prev, 'close')) * 100) > 0.005 + 1e-9)
          broken.push(`${key(cur)}: pct_change`);
      }
    }
    expect(broken.slice(0, 20)).toEqual([]);
    const priced = violations(rows, (r) => {
      if (num(r, 'price_avg') < num(r, 'low') || num(r, 'price_avg') > num(r, 'high'))
        return 'price_avg outside the range';
      return Math.abs(num(r, 'amount') / (num(r, 'vol') * 1000 * num(r, 'price_avg')) - 1) > 1e-6
        ? 'amount'
        : false;
    });
    expect(priced).toEqual([]);
  });

  it('keeps ask above bid by one spread on all four FX prices, and each side ordered', () => {
    const rows = market.query('fx_daily', { start_date: '20230101', end_date: '20231231' });
    expect(rows.length).toBe(10 * 260);
    const broken = violations(rows, (r) => {
      const spread = num(r, 'ask_close') - num(r, 'bid_close');
      if (spread <= 0) return 'ask not above bid';
      for (const p of ['open', 'high', 'low'])
        if (Math.abs(num(r, `ask_${p}`) - num(r, `bid_${p}`) - spread) > 1e-9)
          return `spread differs on ${p}`;
      for (const side of ['bid', 'ask']) {
        if (num(r, `${side}_high`) < Math.max(num(r, `${side}_open`), num(r, `${side}_close`)))
          return `${side}_high`;
        if (num(r, `${side}_low`) > Math.min(num(r, `${side}_open`), num(r, `${side}_close`)))
          return `${side}_low`;
      }
      return false;
    });
    expect(broken).toEqual([]);
  });
});

import type { WireRow } from '../dataset.js';
import type { Query } from '../filter.js';
import { formatYmd } from './dates.js';
import type { Market } from './market.js';
import { adjustmentFactor, type DayBar, limitDown, limitUp, preClose } from './paths.js';
import { mix } from './prng.js';
import { pct, price, round, shapeOf, type Values } from './rows.js';
import type { ChainDef, EtfDef, IndexDef, StockDef } from './universe.js';

/** Instruments a query's ts_code param admits. */
export function admitted<T extends { tsCode: string }>(all: readonly T[], query: Query): T[] {
  if (query.codes !== null) {
    const wanted = new Set(query.codes);
    return all.filter((d) => wanted.has(d.tsCode));
  }
  return all.filter((d) => query.codeMatches(d.tsCode));
}

/** Average traded price of a bar in currency units (the mean of its four prices, inside [low, high]). */
const vwap = (bar: DayBar, scale: number) => (bar.open + bar.high + bar.low + bar.close) / 4 / scale;

/**
 * Daily bars of chained instruments. `amount` is in thousand CNY per the catalog: lots × 100 units
 * × the average price / 1000; an index's amount uses its constituents' average share price.
 */
function dailyBars(
  m: Market,
  query: Query,
  defs: readonly ChainDef[],
  amountPerLot: (def: ChainDef, bar: DayBar) => number,
  pctDecimals: number,
): WireRow[] {
  const shape = shapeOf(query.apiName);
  const [start, end] = m.span(m.cn, query);
  const rows: WireRow[] = [];
  for (const def of admitted(defs, query)) {
    const lo = Math.max(start, def.firstIdx);
    const hi = Math.min(end, def.endIdx);
    for (let t = lo; t < hi; t++) {
      const bar = m.bar(def, t);
      if (bar === null) continue;
      const s = def.scale;
      rows.push(
        shape.build({
          ts_code: def.tsCode,
          trade_date: m.cn.days[t],
          open: price(bar.open, s),
          high: price(bar.high, s),
          low: price(bar.low, s),
          close: price(bar.close, s),
          pre_close: price(bar.pre, s),
          change: price(bar.close - bar.pre, s),
          pct_chg: pct(bar.close, bar.pre, pctDecimals),
          vol: bar.vol,
          amount: round(bar.vol * amountPerLot(def, bar), 3),
        }),
      );
    }
  }
  return rows;
}

export const daily = (m: Market, q: Query) => dailyBars(m, q, m.stocks(), (d, b) => vwap(b, d.scale) / 10, 2);
export const fundDaily = (m: Market, q: Query) =>
  dailyBars(m, q, m.etfs(), (d, b) => vwap(b, d.scale) / 10, 2);
export const indexDaily = (m: Market, q: Query) =>
  dailyBars(m, q, m.indexes(), (d) => (d as IndexDef).sharePrice / 10, 4);

export function stockBasic(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  return admitted(m.stocks(), q).map((s) =>
    shape.build({
      ts_code: s.tsCode,
      symbol: s.symbol,
      name: s.company.name,
      area: s.area,
      industry: s.industry,
      fullname: s.company.fullname,
      enname: s.company.enname,
      cnspell: s.company.cnspell,
      market: s.market,
      exchange: s.exchange,
      curr_type: 'CNY',
      list_status: s.delistDate === null ? 'L' : 'D',
      list_date: s.listDate,
      delist_date: s.delistDate,
      is_hs: s.isHs,
      act_name: s.actName,
      act_ent_type: s.actEntType,
    }),
  );
}

export function fundBasic(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  return admitted(m.etfs(), q).map((e: EtfDef) =>
    shape.build({
      ts_code: e.tsCode,
      name: e.name,
      management: e.management,
      custodian: e.custodian,
      fund_type: e.fundType,
      found_date: e.foundDate,
      // Exchange-traded funds are open-ended: no maturity, no duration, no expected return, no trustee.
      due_date: null,
      list_date: e.listDate,
      issue_date: e.issueDate,
      delist_date: e.delistDate,
      issue_amount: e.issueAmount,
      m_fee: e.mFee,
      c_fee: e.cFee,
      duration_year: null,
      p_value: 1,
      min_amount: 0.1,
      exp_return: null,
      benchmark: `${e.theme}指数收益率`,
      status: e.delistDate === null ? 'L' : 'D',
      invest_type: e.fundType === '股票型' ? '被动指数型' : '指数型',
      type: '契约型开放式',
      trustee: null,
      purc_startdate: e.listDate,
      redm_startdate: e.listDate,
      market: 'E',
    }),
  );
}

export function indexBasic(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  return admitted(m.indexes(), q).map((i) =>
    shape.build({
      ts_code: i.tsCode,
      name: i.name,
      fullname: i.fullname,
      market: i.market,
      publisher: i.publisher,
      index_type: i.indexType,
      category: i.category,
      base_date: i.baseDate,
      base_point: i.basePoint,
      list_date: i.listDate,
      weight_rule: i.weightRule,
      desc: i.desc,
      exp_date: null,
    }),
  );
}

/** Exchanges that keep the SSE calendar: the stock exchanges, the futures exchanges and the SGE. */
export const CN_CALENDAR_EXCHANGES = [
  'SSE',
  'SZSE',
  'BSE',
  'CFFEX',
  'SHFE',
  'CZCE',
  'DCE',
  'INE',
  'GFEX',
  'SGE',
];

export function tradeCal(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const asked = q.params.exchange;
  const exchanges =
    asked === undefined ? CN_CALENDAR_EXCHANGES : CN_CALENDAR_EXCHANGES.filter((e) => e === asked);
  const from = q.time?.from ?? null;
  const to = q.time?.to ?? null;
  const rows: WireRow[] = [];
  for (let n = m.cn.from; n <= m.cn.to; n++) {
    const date = formatYmd(n);
    if ((from !== null && date < from) || (to !== null && date > to)) continue;
    const isOpen = m.cn.isOpen(n) ? '1' : '0';
    const pretrade = formatYmd(m.cn.prevOpen(n));
    for (const exchange of exchanges)
      rows.push(shape.build({ exchange, cal_date: date, is_open: isOpen, pretrade_date: pretrade }));
  }
  return rows;
}

/** The listed days (suspended ones included) of each admitted stock inside the query's span. */
function* stockDays(m: Market, q: Query, tradingOnly: boolean): Generator<[StockDef, number]> {
  const [start, end] = m.span(m.cn, q);
  for (const s of admitted(m.stocks(), q)) {
    const lo = Math.max(start, s.firstIdx);
    const hi = Math.min(end, s.endIdx);
    const chain = m.chain(s, hi - 1);
    for (let t = lo; t < hi; t++) {
      if (tradingOnly && chain.halted !== null && chain.halted[t] === 1) continue;
      yield [s, t];
    }
  }
}

/** Volume ratio: today's volume over the mean of the last five traded days (null with no history). */
function volumeRatio(m: Market, s: StockDef, t: number, vol: number): number | null {
  let sum = 0;
  let n = 0;
  for (let k = t - 1; k >= s.firstIdx && n < 5; k--) {
    const bar = m.bar(s, k);
    if (bar === null) continue;
    sum += bar.vol;
    n++;
  }
  return n === 0 ? null : round(vol / (sum / n), 2);
}

/**
 * Valuation per traded day. Units per the catalog: shares in ten thousand, market values in ten
 * thousand CNY, so value = close × shares; turnover (percent) = lots × 100 / (shares × 10000) × 100.
 */
export function dailyBasic(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const rows: WireRow[] = [];
  for (const [s, t] of stockDays(m, q, true)) {
    const bar = m.bar(s, t);
    if (bar === null) continue;
    const close = price(bar.close, s.scale);
    rows.push(
      shape.build({
        ts_code: s.tsCode,
        trade_date: m.cn.days[t],
        close,
        turnover_rate: round(bar.vol / s.floatShare, 4),
        turnover_rate_f: round(bar.vol / s.freeShare, 4),
        volume_ratio: volumeRatio(m, s, t, bar.vol),
        pe: s.eps > 0 ? round(close / s.eps, 4) : null,
        pe_ttm: s.epsTtm > 0 ? round(close / s.epsTtm, 4) : null,
        pb: round(close / s.bps, 4),
        ps: round(close / s.sps, 4),
        ps_ttm: round(close / s.spsTtm, 4),
        dv_ratio: s.dps === null ? null : round((s.dps / close) * 100, 4),
        dv_ttm: s.dps === null ? null : round((s.dps * 1.02 * 100) / close, 4),
        total_share: s.totalShare,
        float_share: s.floatShare,
        free_share: s.freeShare,
        total_mv: round(close * s.totalShare, 4),
        circ_mv: round(close * s.floatShare, 4),
      }),
    );
  }
  return rows;
}

const MONEYFLOW_SALT = 0x6d66_6c77;

/** Splits a whole number over weights into `out`, the rounding remainder going to the first (largest) part. */
function split(total: number, weights: Float64Array, out: Int32Array): void {
  let sum = 0;
  for (const w of weights) sum += w;
  let given = 0;
  for (let i = 0; i < weights.length; i++) {
    const part = Math.floor((total * (weights[i] as number)) / sum);
    out[i] = part;
    given += part;
  }
  out[0] = (out[0] as number) + total - given;
}

/**
 * Money flow per traded day, by order size. The sizes come from the catalog's field names
 * (`buy_<size>_vol` …). Active buys and sells split the day's volume (lots), so buys + sells = vol;
 * amounts are ten thousand CNY: lots × 100 × price / 10000. Net flow = buys − sells.
 */
export function moneyflow(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const keys: { buyVol: string; buyAmount: string; sellVol: string; sellAmount: string }[] = [];
  for (const f of shape.fields) {
    const match = /^buy_(.+)_vol$/.exec(f.name);
    if (match !== null) {
      const size = match[1] as string;
      keys.push({
        buyVol: f.name,
        buyAmount: `buy_${size}_amount`,
        sellVol: `sell_${size}_vol`,
        sellAmount: `sell_${size}_amount`,
      });
    }
  }
  const n = keys.length;
  // Smaller orders are more numerous; each size's share shrinks down the list.
  const baseShare = keys.map((_, i) => 0.45 / (1 + i * 0.8));
  const weights = new Float64Array(n);
  const buys = new Int32Array(n);
  const sells = new Int32Array(n);
  const rows: WireRow[] = [];
  const rng = m.rng;
  for (const [s, t] of stockDays(m, q, true)) {
    const bar = m.bar(s, t);
    if (bar === null) continue;
    const avg = vwap(bar, s.scale);
    rng.reseed(mix(s.seed ^ MONEYFLOW_SALT, m.cn.dayNums[t] as number));
    const buyShare = Math.min(0.7, Math.max(0.3, 0.5 + 0.08 * rng.normal()));
    const buyTotal = Math.round(bar.vol * buyShare);
    for (let i = 0; i < n; i++) weights[i] = (baseShare[i] as number) * Math.exp(0.25 * rng.normal());
    split(buyTotal, weights, buys);
    for (let i = 0; i < n; i++) weights[i] = (baseShare[i] as number) * Math.exp(0.25 * rng.normal());
    split(bar.vol - buyTotal, weights, sells);
    const values: Values = { ts_code: s.tsCode, trade_date: m.cn.days[t] };
    let buyAmount = 0;
    let sellAmount = 0;
    for (let i = 0; i < n; i++) {
      const k = keys[i] as (typeof keys)[number];
      const bv = buys[i] as number;
      const sv = sells[i] as number;
      const ba = round((bv * avg * (1 + 0.002 * rng.normal())) / 100, 2);
      const sa = round((sv * avg * (1 + 0.002 * rng.normal())) / 100, 2);
      values[k.buyVol] = bv;
      values[k.sellVol] = sv;
      values[k.buyAmount] = ba;
      values[k.sellAmount] = sa;
      buyAmount += ba;
      sellAmount += sa;
    }
    values.net_mf_vol = buyTotal - (bar.vol - buyTotal);
    values.net_mf_amount = round(buyAmount - sellAmount, 2);
    rows.push(shape.build(values));
  }
  return rows;
}

/**
 * Adjustment factors for every listed day, suspended ones included (Tushare serves those too):
 * consistent with `daily`, so pre_close × factor(day) = the previous close × factor(previous day).
 */
export function adjFactor(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const rows: WireRow[] = [];
  for (const [s, t] of stockDays(m, q, false)) {
    rows.push(
      shape.build({
        ts_code: s.tsCode,
        trade_date: m.cn.days[t],
        adj_factor: round(adjustmentFactor(m.chain(s, t), s.adjBase, t), 6),
      }),
    );
  }
  return rows;
}

/**
 * The suspension days the daily bars skip, one `S` row per halted day (whole day: no timing), and
 * an `R` row on the day trading resumes, as Tushare's suspend_d reports them.
 */
export function suspendD(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const rows: WireRow[] = [];
  for (const [s, t] of stockDays(m, q, false)) {
    const halted = m.chain(s, t).halted;
    if (halted === null) continue;
    const type = halted[t] === 1 ? 'S' : t > s.firstIdx && halted[t - 1] === 1 ? 'R' : null;
    if (type === null) continue;
    rows.push(
      shape.build({ ts_code: s.tsCode, trade_date: m.cn.days[t], suspend_timing: null, suspend_type: type }),
    );
  }
  return rows;
}

/** Pre-market reference for every listed day, suspended days included: the day's limit prices. */
export function stkPremarket(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const rows: WireRow[] = [];
  for (const [s, t] of stockDays(m, q, false)) {
    const pre = preClose(m.chain(s, t), t);
    const limit = s.limitPct as number;
    rows.push(
      shape.build({
        trade_date: m.cn.days[t],
        ts_code: s.tsCode,
        total_share: s.totalShare,
        float_share: s.floatShare,
        pre_close: price(pre, s.scale),
        up_limit: price(limitUp(pre, limit), s.scale),
        down_limit: price(limitDown(pre, limit), s.scale),
      }),
    );
  }
  return rows;
}

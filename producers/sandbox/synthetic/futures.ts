import { FUTURES_EXCHANGE_SUFFIX, FUTURES_SESSIONS, tradingDayOf } from '../../../contracts/sessions.js';
import type { WireRow } from '../dataset.js';
import type { Query } from '../filter.js';
import { dashed, formatYmd } from './dates.js';
import { admitted } from './equity.js';
import { aggregate, barTime, minuteBars } from './intraday.js';
import type { Market } from './market.js';
import { FUTURES_BROKERS, WAREHOUSE_CITIES, WAREHOUSE_COMPANIES } from './names.js';
import { hashString, mix, Rng } from './prng.js';
import { round, shapeOf } from './rows.js';
import { metalPath } from './spot.js';
import type { ContractDef, ProductDef } from './universe.js';

/**
 * Futures. Each product follows one underlying path (an equity index future follows its index when
 * the market has it, SHFE gold and silver follow the SGE metal); a contract is the underlying carried to its expiry at its own basis, plus a
 * little noise keyed by (contract, date). Settle, close and open interest of a day are therefore
 * stateless, so pre_settle (yesterday's settle) and oi_chg are exact without storing anything.
 * Underlying moves are capped well inside the product's limit, and the close is clamped to
 * pre_settle × (1 ± limit), as on the exchanges.
 */

const UNDERLYING_INDEX: Readonly<Record<string, string>> = {
  IF: '000300.SH',
  IH: '000016.SH',
  IC: '000905.SH',
  IM: '000852.SH',
};

const decimalsOf = (tick: number) => {
  const text = String(tick);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
};

/** A contract price held as whole ticks, as the float Tushare prints. */
const px = (p: ProductDef, ticks: number) => round(ticks * p.tick, decimalsOf(p.tick));

/** SHFE products on SGE metals, with the unit conversion from CNY per gram to their quote unit. */
const UNDERLYING_METAL: Readonly<Record<string, readonly ['AU' | 'AG', number]>> = {
  AU: ['AU', 1],
  AG: ['AG', 1000],
};

function underlying(m: Market, p: ProductDef): Float64Array {
  const metal = UNDERLYING_METAL[p.code];
  if (metal !== undefined && p.exchange === 'SHFE') {
    const [name, factor] = metal;
    return m.path(`fut:${p.code}`, () => Float64Array.from(metalPath(m, name), (v) => v * factor));
  }
  const code = UNDERLYING_INDEX[p.code];
  const index = code === undefined ? undefined : m.equity(code);
  if (index !== undefined && index.firstIdx === 0) {
    return m.path(`fut:${p.code}`, () => {
      const chain = m.chain(index);
      return Float64Array.from(chain.close, (v) => v / index.scale);
    });
  }
  const sigma = p.kind === 'bond' ? p.limit * 0.12 : p.limit * 0.2;
  const cap = p.limit * 0.5;
  return m.levelPath(`fut:${p.code}`, m.cn, p.price, (rng, level) => {
    let r = sigma * rng.clippedNormal(3) - 0.003 * Math.log(level / p.price);
    if (r > cap) r = cap;
    if (r < -cap) r = -cap;
    return level * Math.exp(r);
  });
}

interface Core {
  /** Ticks. */
  settle: number;
  rawClose: number;
  oi: number;
  vol: number;
}

/** Draws 1–4 of a contract's day: settle, close, open interest, volume (t = -1: the day before the range). */
function core(m: Market, c: ContractDef, t: number): Core | null {
  if (t < -1) return null;
  const day = m.dayAt(m.cn, t);
  if (day < c.listDay || day > c.delistDay) return null;
  const p = c.product;
  const fair = (underlying(m, p)[t + 1] as number) * Math.exp((c.basis * (c.delistDay - day)) / 365);
  const rng = m.rng.reseed(mix(c.seed, day));
  const noise = p.limit / 0.07;
  const settle = Math.round((fair * Math.exp(0.001 * noise * rng.clippedNormal(3))) / p.tick);
  const rawClose = Math.round((fair * Math.exp(0.003 * noise * rng.clippedNormal(3))) / p.tick);
  const life = c.delistDay - c.listDay;
  const dte = c.delistDay - day;
  const age = day - c.listDay;
  const peak = Math.min(60, life * 0.3);
  const width = Math.max(10, life * 0.35);
  let g = Math.exp(-(((dte - peak) / width) ** 2)) * (1 - Math.exp(-age / 5 - 0.2));
  if (dte < 10) g *= (dte + 1) / 11;
  const oi = Math.max(1, Math.round(c.peakOi * g * (1 + 0.03 * rng.clippedNormal(3))));
  const vol = Math.max(1, Math.round(oi * 0.6 * Math.exp(0.4 * rng.clippedNormal(3)) * (dte < 20 ? 0.5 : 1)));
  return { settle, rawClose, oi, vol };
}

interface ContractBar {
  preSettle: number;
  preClose: number;
  open: number;
  high: number;
  low: number;
  close: number;
  settle: number;
  oi: number;
  preOi: number;
  vol: number;
}

/** The close after the limit clamp; it is also the next day's pre_close. */
function clampedClose(m: Market, c: ContractDef, t: number, today: Core): number {
  // The day before the range is only a reference; its own limit is not checked.
  if (t < 0) return today.rawClose;
  const prev = core(m, c, t - 1);
  const preSettle = prev?.settle ?? settleBefore(m, c, t);
  const up = Math.floor(preSettle * (1 + c.product.limit));
  const dn = Math.ceil(preSettle * (1 - c.product.limit));
  return Math.min(up, Math.max(dn, today.rawClose));
}

/** On its listing day a contract's reference price is the settle it would have had the day before. */
function settleBefore(m: Market, c: ContractDef, t: number): number {
  const p = c.product;
  const day = m.dayAt(m.cn, t - 1);
  const fair = (underlying(m, p)[t] as number) * Math.exp((c.basis * (c.delistDay - day)) / 365);
  return Math.round(fair / p.tick);
}

export function contractBar(m: Market, c: ContractDef, t: number): ContractBar | null {
  const today = core(m, c, t);
  if (today === null) return null;
  const prev = core(m, c, t - 1);
  const preSettle = prev?.settle ?? settleBefore(m, c, t);
  const preClose = prev === null ? preSettle : clampedClose(m, c, t - 1, prev);
  const preOi = prev?.oi ?? 0;
  const close = clampedClose(m, c, t, today);
  const p = c.product;
  const up = Math.floor(preSettle * (1 + p.limit));
  const dn = Math.ceil(preSettle * (1 - p.limit));
  const rng = m.rng.reseed(mix(c.seed ^ 0x0b_a7, m.dayAt(m.cn, t)));
  const sigma = p.limit * 0.2;
  let open = Math.round(
    preClose * Math.exp(0.3 * sigma * rng.clippedNormal(3) + 0.3 * Math.log(close / preClose)),
  );
  open = Math.min(up, Math.max(dn, open));
  let high = Math.ceil(Math.max(open, close) * (1 + 0.4 * sigma * Math.abs(rng.clippedNormal(3))));
  let low = Math.floor(Math.min(open, close) * (1 - 0.4 * sigma * Math.abs(rng.clippedNormal(3))));
  high = Math.max(Math.max(open, close), Math.min(up, high));
  low = Math.min(Math.min(open, close), Math.max(dn, low));
  return {
    preSettle,
    preClose,
    open,
    high,
    low,
    close,
    settle: today.settle,
    oi: today.oi,
    preOi,
    vol: today.vol,
  };
}

/** Contracts a query admits, by ts_code and by exchange when it names one. */
function admittedContracts(m: Market, q: Query): ContractDef[] {
  const exchange = q.params.exchange;
  const suffix = exchange === undefined ? undefined : FUTURES_EXCHANGE_SUFFIX[exchange];
  return admitted(m.contracts(), q).filter(
    (c) =>
      exchange === undefined ||
      c.product.exchange === exchange ||
      (suffix !== undefined && c.tsCode.endsWith(`.${suffix}`)),
  );
}

/** The trading days of a contract's life inside a span. */
function lifeSpan(m: Market, c: ContractDef, [start, end]: [number, number]): [number, number] {
  return [
    Math.max(start, m.cn.indexOnOrAfter(c.listDay)),
    Math.min(end, m.cn.indexOnOrAfter(c.delistDay + 1)),
  ];
}

/** Amount in ten thousand CNY: lots × units per lot (the multiplier for financial futures) × price / 10000. */
export function futDaily(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const rows: WireRow[] = [];
  const span = m.span(m.cn, q);
  for (const c of admittedContracts(m, q)) {
    const p = c.product;
    const [lo, hi] = lifeSpan(m, c, span);
    for (let t = lo; t < hi; t++) {
      const b = contractBar(m, c, t);
      if (b === null) continue;
      const avg = ((b.open + b.high + b.low + b.close) / 4) * p.tick;
      rows.push(
        shape.build({
          ts_code: c.tsCode,
          trade_date: m.cn.days[t],
          pre_close: px(p, b.preClose),
          pre_settle: px(p, b.preSettle),
          open: px(p, b.open),
          high: px(p, b.high),
          low: px(p, b.low),
          close: px(p, b.close),
          settle: px(p, b.settle),
          change1: px(p, b.close - b.preSettle),
          change2: px(p, b.settle - b.preSettle),
          vol: b.vol,
          amount: round((b.vol * p.perUnit * avg) / 10_000, 4),
          oi: b.oi,
          oi_chg: b.oi - b.preOi,
          delv_settle: m.cn.dayNums[t] === c.delistDay ? px(p, b.settle) : null,
        }),
      );
    }
  }
  return rows;
}

const TRADE_TIME_DESC: Readonly<Record<string, string>> = {
  commodity: '上午9:00－11:30，下午1:30－3:00及交易所规定的其他交易时间',
  equity_index: '上午9:30－11:30，下午1:00－3:00',
  bond: '上午9:30－11:30，下午1:00－3:15',
};

export function futBasic(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  return admitted(m.contracts(), q).map((c) => {
    const p = c.product;
    return shape.build({
      ts_code: c.tsCode,
      symbol: c.symbol,
      exchange: p.exchange,
      name: c.name,
      fut_code: p.code,
      multiplier: p.multiplier,
      trade_unit: p.unit,
      per_unit: p.perUnit,
      quote_unit: p.quote,
      quote_unit_desc: p.kind === 'commodity' ? `${p.quote.replace('元', '元（人民币）')}` : p.quote,
      d_mode_desc: p.kind === 'equity_index' ? '现金交割' : '实物交割',
      list_date: formatYmd(c.listDay),
      delist_date: formatYmd(c.delistDay),
      d_month: c.deliveryMonth,
      last_ddate: formatYmd(c.lastDeliveryDay),
      trade_time_desc: TRADE_TIME_DESC[p.kind],
    });
  });
}

/** The three contracts with the most open interest of each admitted product on a day. */
function activeContracts(m: Market, t: number, products: ReadonlySet<ProductDef>): ContractDef[] {
  const byProduct = new Map<ProductDef, { c: ContractDef; oi: number }[]>();
  for (const c of m.contracts()) {
    if (!products.has(c.product)) continue;
    const today = core(m, c, t);
    if (today === null) continue;
    const list = byProduct.get(c.product) ?? [];
    list.push({ c, oi: today.oi });
    byProduct.set(c.product, list);
  }
  return [...byProduct.values()].flatMap((list) =>
    list
      .sort((a, b) => b.oi - a.oi)
      .slice(0, 3)
      .map((x) => x.c),
  );
}

interface Seat {
  broker: string;
  volShare: number;
  longShare: number;
  shortShare: number;
}

const seatCache = new WeakMap<ContractDef, Seat[]>();

/** The 20 members ranked on a contract, each with a stable share of its volume and positions. */
function seats(c: ContractDef): Seat[] {
  let list = seatCache.get(c);
  if (list === undefined) {
    const rng = new Rng(hashString('seats', c.seed));
    const pool: string[] = [...FUTURES_BROKERS];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [pool[i], pool[j]] = [pool[j] as string, pool[i] as string];
    }
    const weights = pool.slice(0, 20).map((_, i) => 1 / (i + 1.5) ** 0.9);
    const total = weights.reduce((a, b) => a + b, 0);
    list = pool.slice(0, 20).map((broker, i) => {
      const w = (weights[i] as number) / total;
      return {
        broker,
        volShare: 0.7 * w,
        longShare: 0.65 * w * rng.between(0.7, 1.3),
        shortShare: 0.65 * w * rng.between(0.7, 1.3),
      };
    });
    seatCache.set(c, list);
  }
  return list;
}

function seatDay(
  m: Market,
  c: ContractDef,
  seat: Seat,
  t: number,
): { vol: number; long: number; short: number } {
  const today = core(m, c, t);
  if (today === null) return { vol: 0, long: 0, short: 0 };
  const rng = m.rng.reseed(mix(hashString(seat.broker, c.seed), m.dayAt(m.cn, t)));
  return {
    vol: Math.round(today.vol * seat.volShare * (1 + 0.1 * rng.clippedNormal(3))),
    long: Math.round(today.oi * seat.longShare * (1 + 0.05 * rng.clippedNormal(3))),
    short: Math.round(today.oi * seat.shortShare * (1 + 0.05 * rng.clippedNormal(3))),
  };
}

/** Member rankings (top 20) of each product's three most held contracts; changes are against the day before. */
export function futHolding(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const [start, end] = m.span(m.cn, q);
  const rows: WireRow[] = [];
  const { exchange, symbol } = q.params;
  const products = new Set(
    m
      .products()
      .filter(
        (p) =>
          (exchange === undefined || p.exchange === exchange) &&
          (symbol === undefined ||
            symbol.toUpperCase() === p.code ||
            symbol.toUpperCase().startsWith(p.code)),
      ),
  );
  for (let t = start; t < end; t++) {
    for (const c of activeContracts(m, t, products)) {
      for (const seat of seats(c)) {
        const now = seatDay(m, c, seat, t);
        const before = seatDay(m, c, seat, t - 1);
        rows.push(
          shape.build({
            trade_date: m.cn.days[t],
            symbol: c.symbol,
            broker: seat.broker,
            vol: now.vol,
            vol_chg: now.vol - before.vol,
            long_hld: now.long,
            long_chg: now.long - before.long,
            short_hld: now.short,
            short_chg: now.short - before.short,
            exchange: c.product.exchange,
          }),
        );
      }
    }
  }
  return rows;
}

interface Warehouse {
  name: string;
  id: string;
  area: string;
  base: number;
  phase: number;
}

const PROVINCE_OF: Readonly<Record<string, string>> = {
  上海: '上海',
  天津: '天津',
  青岛: '山东',
  宁波: '浙江',
  大连: '辽宁',
  郑州: '河南',
  广州: '广东',
  常州: '江苏',
  无锡: '江苏',
  张家港: '江苏',
  日照: '山东',
  连云港: '江苏',
};

function warehouses(p: ProductDef): Warehouse[] {
  const rng = new Rng(hashString('warehouses', p.seed));
  const n = 2 + rng.int(4);
  const out: Warehouse[] = [];
  const used = new Set<string>();
  while (out.length < n) {
    const city = rng.pick(WAREHOUSE_CITIES);
    const name = `${city}${rng.pick(WAREHOUSE_COMPANIES)}${out.length % 2 === 0 ? '仓库' : '物流'}`;
    if (used.has(name)) continue;
    used.add(name);
    out.push({
      name,
      id: `${p.code}${String(out.length + 1).padStart(2, '0')}`,
      area: PROVINCE_OF[city] ?? city,
      base: Math.round(rng.between(200, 20_000) / (p.perUnit >= 100 ? 0.1 : 1)),
      phase: rng.next() * Math.PI * 2,
    });
  }
  return out;
}

/** Receipts on a day: a slow seasonal swing around the warehouse's usual stock, whole units. */
function receipts(m: Market, p: ProductDef, w: Warehouse, t: number): number {
  const day = m.dayAt(m.cn, t);
  const rng = m.rng.reseed(mix(hashString(w.name, p.seed), day));
  return Math.max(
    0,
    Math.round(w.base * (1 + 0.6 * Math.sin((2 * Math.PI * day) / 120 + w.phase) + 0.05 * rng.normal())),
  );
}

const SHFE_BRANDS = ['江铜', '金川', '云铜', '铜陵', '豫光', '中金岭南'];
const CZCE_GRADES = ['一等', '二等', '标准品'];

/**
 * Warehouse receipts per physically delivered product, warehouse and day. Where an exchange lists a
 * warehouse per crop year and grade (CZCE) or per brand (SHFE), those columns are filled; elsewhere
 * they are null, as in Tushare.
 */
export function futWsr(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const [start, end] = m.span(m.cn, q);
  const rows: WireRow[] = [];
  const products = m.products().filter((p) => p.kind === 'commodity');
  for (let t = start; t < end; t++) {
    const date = m.cn.days[t] as string;
    const year = Number(date.slice(0, 4)) - (Number(date.slice(4, 6)) < 10 ? 1 : 0);
    for (const p of products) {
      if (q.params.exchange !== undefined && q.params.exchange !== p.exchange) continue;
      if (q.params.symbol !== undefined && q.params.symbol !== p.code) continue;
      warehouses(p).forEach((w, i) => {
        const vol = receipts(m, p, w, t);
        const pre = receipts(m, p, w, t - 1);
        const czce = p.exchange === 'CZCE';
        rows.push(
          shape.build({
            trade_date: date,
            symbol: p.code,
            fut_name: p.goods,
            warehouse: w.name,
            wh_id: w.id,
            pre_vol: pre,
            vol,
            vol_chg: vol - pre,
            area: w.area,
            year: czce ? String(year) : null,
            grade: czce ? (CZCE_GRADES[i % CZCE_GRADES.length] as string) : null,
            brand: p.exchange === 'SHFE' ? (SHFE_BRANDS[i % SHFE_BRANDS.length] as string) : null,
            place: p.exchange === 'DCE' ? (i % 2 === 0 ? '国产' : '进口') : null,
            pd: czce ? [0, -30, 50][i % 3] : 0,
            is_ct: '0',
            unit: p.unit,
            exchange: p.exchange,
          }),
        );
      });
    }
  }
  return rows;
}

/**
 * Futures minute bars over the exchange's sessions (contracts/sessions.ts), the night session the
 * evening before included where the exchange holds one and the evening is the previous open day's
 * (no night session before a holiday). Amount is CNY: lots × units per lot × price; open interest
 * moves from yesterday's to today's through the day.
 */
export function ftMins(m: Market, q: Query, minutes: number, span: [number, number]): WireRow[] {
  const shape = shapeOf(q.apiName);
  const rows: WireRow[] = [];
  for (const c of admittedContracts(m, q)) {
    const p = c.product;
    const all = FUTURES_SESSIONS[p.exchange] ?? [];
    const [lo, hi] = lifeSpan(m, c, span);
    for (let t = lo; t < hi; t++) {
      const b = contractBar(m, c, t);
      if (b === null) continue;
      const day = m.cn.days[t] as string;
      const before = m.cn.days[t - 1];
      const nightHeld = before !== undefined && tradingDayOf('futures', before, '21:00') === day;
      const sessions = nightHeld ? all : all.filter((s) => !s.night);
      const ones = minuteBars(b, sessions, mix(c.seed, m.cn.dayNums[t] as number));
      const bars = aggregate(ones, sessions, minutes);
      const date = dashed(day);
      const evening = before === undefined ? date : dashed(before);
      let elapsed = 0;
      for (let i = 0; i < bars.length; i++) {
        const vol = bars.vol[i] as number;
        elapsed += vol;
        const avg =
          (((bars.open[i] as number) +
            (bars.high[i] as number) +
            (bars.low[i] as number) +
            (bars.close[i] as number)) /
            4) *
          p.tick;
        rows.push(
          shape.build({
            ts_code: c.tsCode,
            trade_time: barTime(date, evening, bars.end[i] as number),
            open: px(p, bars.open[i] as number),
            high: px(p, bars.high[i] as number),
            low: px(p, bars.low[i] as number),
            close: px(p, bars.close[i] as number),
            vol,
            amount: round(vol * p.perUnit * avg, 2),
            oi: Math.round(b.preOi + ((b.oi - b.preOi) * elapsed) / b.vol),
          }),
        );
      }
    }
  }
  return rows;
}

import type { WireRow } from '../dataset.js';
import type { Query } from '../filter.js';
import { admitted } from './equity.js';
import type { Market } from './market.js';
import { mix } from './prng.js';
import { pct, round, shapeOf } from './rows.js';
import type { FxDef, SgeDef } from './universe.js';

/**
 * Shanghai Gold Exchange spot and FXCM pairs. SGE prices are CNY per gram for every contract, as
 * the catalog documents them (silver therefore carries three decimals); volumes are kilograms and
 * amounts CNY, both sides counted: amount = kg × 1000 × average price.
 */

/** [start level CNY/g at the start of 2023, daily drift, daily sigma] */
const METALS: Readonly<Record<SgeDef['metal'], readonly [number, number, number]>> = {
  AU: [410, 0.0008, 0.008],
  AG: [5.3, 0.0006, 0.015],
  PT: [225, 0, 0.013],
};

const scaleOf = (def: SgeDef) => (def.metal === 'AG' ? 1000 : 100);

/** A metal's price path in CNY per gram; SHFE gold and silver futures follow the same paths. */
export function metalPath(m: Market, metal: SgeDef['metal']): Float64Array {
  const [start, drift, sigma] = METALS[metal];
  return m.levelPath(
    `metal:${metal}`,
    m.cn,
    start,
    (rng, level) => level * Math.exp(drift + sigma * rng.clippedNormal(4) - 0.001 * Math.log(level / start)),
  );
}

/** A contract's close in ticks on trading day t (t = -1: the day before the range). */
function sgeClose(m: Market, def: SgeDef, t: number): number {
  const level = metalPath(m, def.metal)[t + 1] as number;
  const rng = m.rng.reseed(mix(def.seed, m.dayAt(m.cn, t)));
  return Math.round(level * (1 + def.premium + 0.0005 * rng.clippedNormal(3)) * scaleOf(def));
}

export function sgeDaily(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const [start, end] = m.span(m.cn, q);
  const rows: WireRow[] = [];
  for (const def of admitted(m.sge(), q)) {
    const scale = scaleOf(def);
    const decimals = Math.log10(scale);
    const sigma = METALS[def.metal][2];
    for (let t = Math.max(start, def.firstIdx); t < end; t++) {
      const pre = sgeClose(m, def, t - 1);
      const close = sgeClose(m, def, t);
      const rng = m.rng.reseed(mix(def.seed ^ 0x5e6e, m.cn.dayNums[t] as number));
      const open = Math.round(pre * Math.exp(0.3 * sigma * rng.clippedNormal(3)));
      const high = Math.ceil(Math.max(open, close) * (1 + 0.4 * sigma * Math.abs(rng.clippedNormal(3))));
      const low = Math.floor(Math.min(open, close) * (1 - 0.4 * sigma * Math.abs(rng.clippedNormal(3))));
      const avg = Math.min(high, Math.max(low, Math.round((open + high + low + close) / 4)));
      const vol = Math.max(1, Math.round(def.baseVol * Math.exp(0.4 * rng.clippedNormal(3))));
      rows.push(
        shape.build({
          ts_code: def.tsCode,
          trade_date: m.cn.days[t],
          close: round(close / scale, decimals),
          open: round(open / scale, decimals),
          high: round(high / scale, decimals),
          low: round(low / scale, decimals),
          price_avg: round(avg / scale, decimals),
          change: round((close - pre) / scale, decimals),
          pct_change: pct(close, pre),
          vol,
          amount: round((vol * 1000 * avg) / scale, 2),
          oi: def.deferred ? Math.round(def.baseVol * 1.2 * (1 + 0.05 * rng.clippedNormal(3))) : null,
          settle_vol: def.deferred
            ? Math.round(def.baseVol * 0.02 * Math.exp(0.5 * rng.clippedNormal(3)))
            : null,
          settle_dire: def.deferred ? (rng.next() < 0.5 ? '多付空' : '空付多') : null,
        }),
      );
    }
  }
  return rows;
}

export function sgeBasic(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  return admitted(m.sge(), q).map((def) =>
    shape.build({
      ts_code: def.tsCode,
      ts_name: def.name,
      trade_type: def.tradeType,
      t_unit: def.lotGrams,
      p_unit: 1,
      min_change: def.metal === 'AG' ? 0.001 : 0.01,
      price_limit: def.deferred ? 0.07 : 0.1,
      min_vol: 1,
      max_vol: def.deferred ? 10_000 : 5000,
      trade_mode: def.deferred ? '集中竞价' : '竞价',
      margin_rate: def.deferred ? 0.08 : 1,
      liq_rate: def.deferred ? 7 : 0,
      trade_time: def.deferred ? '9:00-11:30 13:30-15:30 20:00-2:30' : '9:00-11:30 13:30-15:30',
      list_date: def.listDate,
    }),
  );
}

export function fxObasic(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  return admitted(m.fxPairs(), q).map((def) =>
    shape.build({
      ts_code: def.tsCode,
      name: def.name,
      classify: 'FX',
      exchange: 'FXCM',
      min_unit: 1000,
      max_unit: 5_000_000,
      pip: def.pip,
      pip_cost: def.decimals === 3 ? 0.07 : 0.1,
      traget_spread: def.spreadPips,
      min_stop_distance: 10,
      trading_hours: '周一05:00至周六05:00（北京时间）',
      break_time: '每日05:00-05:05',
    }),
  );
}

function fxPath(m: Market, def: FxDef): Float64Array {
  return m.levelPath(
    def.tsCode,
    m.fx,
    def.start,
    (rng, level) => level * Math.exp(def.sigma * rng.clippedNormal(4) - 0.003 * Math.log(level / def.start)),
  );
}

/**
 * FXCM bid/ask bars on GMT weekdays. Both sides are held in units of the quote's last decimal, so
 * ask − bid is the day's spread exactly and high ≥ open, close ≥ low holds on each side.
 */
export function fxDaily(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const [start, end] = m.span(m.fx, q);
  const rows: WireRow[] = [];
  for (const def of admitted(m.fxPairs(), q)) {
    const path = fxPath(m, def);
    const unit = 10 ** def.decimals;
    const tickOf = (v: number) => Math.round(v * unit);
    for (let t = start; t < end; t++) {
      const rng = m.rng.reseed(mix(def.seed, m.fx.dayNums[t] as number));
      const open = tickOf((path[t] as number) * Math.exp(0.0003 * rng.clippedNormal(3)));
      const close = tickOf(path[t + 1] as number);
      const high =
        Math.max(open, close) + Math.round(Math.abs(rng.clippedNormal(3)) * 0.5 * def.sigma * close);
      const low =
        Math.min(open, close) - Math.round(Math.abs(rng.clippedNormal(3)) * 0.5 * def.sigma * close);
      const spread = Math.max(
        1,
        Math.round(def.spreadPips * def.pip * unit * (1 + 0.2 * Math.abs(rng.normal()))),
      );
      const half = Math.floor(spread / 2);
      const bid = (v: number) => round((v - half) / unit, def.decimals);
      const ask = (v: number) => round((v - half + spread) / unit, def.decimals);
      rows.push(
        shape.build({
          ts_code: def.tsCode,
          trade_date: m.fx.days[t],
          bid_open: bid(open),
          bid_close: bid(close),
          bid_high: bid(high),
          bid_low: bid(low),
          ask_open: ask(open),
          ask_close: ask(close),
          ask_high: ask(high),
          ask_low: ask(low),
          tick_qty: Math.round(150_000 * Math.exp(0.3 * rng.clippedNormal(3))),
          exchange: 'FXCM',
        }),
      );
    }
  }
  return rows;
}

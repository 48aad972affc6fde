import { EQUITY_SESSIONS, freqMinutes as minutesOf } from '../../../contracts/sessions.js';
import type { WireRow } from '../dataset.js';
import type { Query } from '../filter.js';
import { dashed } from './dates.js';
import { admitted } from './equity.js';
import { ftMins } from './futures.js';
import { aggregate, clock, minuteBars } from './intraday.js';
import type { Market } from './market.js';
import type { DayBar } from './paths.js';
import { mix } from './prng.js';
import { price, round, shapeOf } from './rows.js';
import type { ChainDef, IndexDef } from './universe.js';

/**
 * Minute and realtime data, cut from the daily bars so the two always agree: the minutes of a day
 * aggregate to its daily bar. Historical minute endpoints answer the requested window (default:
 * the last trading day); realtime ones answer the market's "today" (the `today` option).
 * Volumes are shares (lots × 100) and amounts CNY, per the catalog.
 */

/** `1min` / `5MIN` → 5; one minute when none or an unknown one is asked for. */
const freqMinutes = (freq: string | null) => (freq === null ? 1 : (minutesOf(freq) ?? 1));

/** The trading-day span of a minute query: its window, or the last trading day when it gives none. */
function minuteSpan(m: Market, q: Query): [number, number] {
  if (q.time === null || (q.time.from === null && q.time.to === null)) return [m.cn.length - 1, m.cn.length];
  return m.span(m.cn, q);
}

/** Average price per share of an instrument's bar, CNY: an index uses its constituents' price. */
function pricePerShare(def: ChainDef, avgTicks: number): number {
  return 'sharePrice' in def ? (def as IndexDef).sharePrice : avgTicks / def.scale;
}

function equityMinutes(
  m: Market,
  q: Query,
  defs: readonly ChainDef[],
  timeColumn: 'trade_time' | 'time',
  span: [number, number],
): WireRow[] {
  const shape = shapeOf(q.apiName);
  const minutes = freqMinutes(q.freq);
  const rows: WireRow[] = [];
  for (const def of admitted(defs, q)) {
    for (let t = Math.max(span[0], def.firstIdx); t < Math.min(span[1], def.endIdx); t++) {
      const bar = m.bar(def, t);
      if (bar === null) continue;
      const ones = minuteBars(
        { ...bar, vol: bar.vol * 100 },
        EQUITY_SESSIONS,
        mix(def.seed, m.cn.dayNums[t] as number),
      );
      const bars = aggregate(ones, EQUITY_SESSIONS, minutes);
      const date = dashed(m.cn.days[t] as string);
      for (let i = 0; i < bars.length; i++) {
        const o = bars.open[i] as number;
        const h = bars.high[i] as number;
        const l = bars.low[i] as number;
        const c = bars.close[i] as number;
        const vol = bars.vol[i] as number;
        rows.push(
          shape.build({
            ts_code: def.tsCode,
            [timeColumn]: `${date} ${clock(bars.end[i] as number)}`,
            open: price(o, def.scale),
            high: price(h, def.scale),
            low: price(l, def.scale),
            close: price(c, def.scale),
            vol,
            amount: round(vol * pricePerShare(def, (o + h + l + c) / 4), 2),
          }),
        );
      }
    }
  }
  return rows;
}

const equities = (m: Market) => [...m.stocks(), ...m.etfs()];
const today = (m: Market): [number, number] => [m.todayIdx, m.todayIdx + 1];

export const stkMins = (m: Market, q: Query) =>
  equityMinutes(m, q, equities(m), 'trade_time', minuteSpan(m, q));
export const idxMins = (m: Market, q: Query) =>
  equityMinutes(m, q, m.indexes(), 'trade_time', minuteSpan(m, q));
export const rtMin = (m: Market, q: Query) => equityMinutes(m, q, equities(m), 'time', today(m));
export const rtIdxMin = (m: Market, q: Query) => equityMinutes(m, q, m.indexes(), 'time', today(m));
/** One trading day more than the window: its night session is stamped on the window's last evening. */
export const ftMinutes = (m: Market, q: Query) => {
  const [lo, hi] = minuteSpan(m, q);
  return ftMins(m, q, freqMinutes(q.freq), [lo, Math.min(hi + 1, m.cn.length)]);
};

/** The snapshot after the close of "today": the day's bar so far, which is the whole day. */
function snapshot(m: Market, def: ChainDef): { bar: DayBar; time: string } | null {
  const bar = m.bar(def, m.todayIdx);
  return bar === null ? null : { bar, time: `${dashed(m.cn.days[m.todayIdx] as string)} 15:00:00` };
}

export function rtEtfK(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const rows: WireRow[] = [];
  for (const def of admitted(m.etfs(), q)) {
    const snap = snapshot(m, def);
    if (snap === null) continue;
    const { bar } = snap;
    const units = bar.vol * 100;
    const avg = (bar.open + bar.high + bar.low + bar.close) / 4 / def.scale;
    const rng = m.rng.reseed(mix(def.seed ^ 0x7e_a1, m.cn.dayNums[m.todayIdx] as number));
    rows.push(
      shape.build({
        ts_code: def.tsCode,
        name: def.name,
        pre_close: price(bar.pre, def.scale),
        high: price(bar.high, def.scale),
        open: price(bar.open, def.scale),
        low: price(bar.low, def.scale),
        close: price(bar.close, def.scale),
        vol: units,
        amount: Math.round(units * avg),
        num: Math.max(1, Math.round(units / rng.between(3000, 20_000))),
        ask_volume1: 100 * (1 + rng.int(5000)),
        bid_volume1: 100 * (1 + rng.int(5000)),
        trade_time: snap.time,
      }),
    );
  }
  return rows;
}

export function rtIdxK(m: Market, q: Query): WireRow[] {
  const shape = shapeOf(q.apiName);
  const rows: WireRow[] = [];
  for (const def of admitted(m.indexes(), q)) {
    const snap = snapshot(m, def);
    if (snap === null) continue;
    const { bar } = snap;
    rows.push(
      shape.build({
        ts_code: def.tsCode,
        name: def.name,
        trade_time: snap.time,
        close: price(bar.close, def.scale),
        pre_close: price(bar.pre, def.scale),
        high: price(bar.high, def.scale),
        open: price(bar.open, def.scale),
        low: price(bar.low, def.scale),
        vol: bar.vol * 100,
        amount: round(bar.vol * 100 * def.sharePrice, 2),
      }),
    );
  }
  return rows;
}

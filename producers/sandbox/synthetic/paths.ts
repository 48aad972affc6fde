import { mix, Rng } from './prng.js';
import type { ChainDef } from './universe.js';

/**
 * Daily price paths. Only the close needs state (it chains from day to day, through suspensions and
 * limit moves); everything else about a day (open, high, low, volume) is drawn from a stream keyed
 * by (instrument, date) given that day's previous and current close, so a row costs O(1) once the
 * chain is built. Prices are integers of 1/scale (cents for stocks, 1/1000 for ETFs, 1/10000 of a
 * point for indexes): rounding is exact and `change` is exact.
 */

export interface Chain {
  /** close[t + 1] = close of trading day t; close[firstIdx] = the price before the first day. */
  readonly close: Int32Array;
  /** halted[t] = 1 when suspended on trading day t (its close carries the last one). */
  readonly halted: Uint8Array | null;
  /**
   * Ex-rights days: trading day t → that day's ex-rights reference price (the previous close less
   * the cash dividend), in ascending t. The day's moves and limits are measured from it.
   */
  readonly exRights: ReadonlyMap<number, number>;
}

export interface DayBar {
  pre: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Lots. */
  vol: number;
}

const CHAIN_SALT = 0x5eed_c1a1;
/** Ex-rights days draw from a stream of their own, so paying a dividend shifts no other draw. */
const EX_RIGHTS_SALT = 0xd1d1_de0d;
/** Pull towards the starting level per day, so paths over years stay in a believable band. */
const MEAN_REVERSION = 0.002;

/** China's limit price: the previous close × (1 ± pct), rounded half up to the price unit. */
export function limitUp(pre: number, pct: number): number {
  return Math.floor((pre * (100 + pct) + 50) / 100);
}

export function limitDown(pre: number, pct: number): number {
  return Math.max(1, Math.floor((pre * (100 - pct) + 50) / 100));
}

/**
 * The chain of daily closes over the calendar range; `factor[t]` is the market's log return on day
 * t. It is built lazily, day by day as far as a query needs (`through`), with the same draws in the
 * same order as a build in one go: a longer calendar costs nothing until its later days are asked for.
 */
export function buildChain(def: ChainDef, factor: Float64Array, days: number): LazyChain {
  return new LazyChain(def, factor, days);
}

export class LazyChain implements Chain {
  readonly close: Int32Array;
  readonly halted: Uint8Array | null;
  readonly exRights = new Map<number, number>();
  readonly #def: ChainDef;
  readonly #factor: Float64Array;
  readonly #rng: Rng;
  readonly #exRng: Rng;
  #p: number;
  #anchor: number;
  #haltLeft = 0;
  /** The next trading day to build. */
  #next: number;

  constructor(def: ChainDef, factor: Float64Array, days: number) {
    this.#def = def;
    this.#factor = factor;
    this.close = new Int32Array(days + 1);
    this.halted = def.halt === null ? null : new Uint8Array(days);
    this.#rng = new Rng(mix(def.seed, CHAIN_SALT));
    this.#exRng = new Rng(mix(def.seed, EX_RIGHTS_SALT));
    this.#p = Math.max(1, Math.round(def.initial * def.scale));
    this.#anchor = Math.log(this.#p);
    this.close[def.firstIdx] = this.#p;
    this.#next = def.firstIdx;
  }

  /** Builds the chain through trading day t (every day when t is past the listing): returns itself. */
  through(t: number): this {
    const def = this.#def;
    const end = Math.min(def.endIdx, t + 1);
    const { close, halted, exRights } = this;
    const rng = this.#rng;
    const exRng = this.#exRng;
    let p = this.#p;
    for (; this.#next < end; this.#next++) {
      const day = this.#next;
      // A fixed number of draws a day, so a suspension does not shift the rest of the path.
      const z = rng.clippedNormal(4);
      const jump = rng.next();
      const jz = rng.clippedNormal(4);
      const h = rng.next();
      const hl = rng.next();
      const ex = exRng.next();
      if (halted !== null && def.halt !== null) {
        if (this.#haltLeft === 0 && day > def.firstIdx && day < def.endIdx - 1 && h < def.halt.start) {
          this.#haltLeft =
            hl < 0.05 ? 20 + Math.floor(hl * 800) : 1 + Math.floor(-Math.log(1 - hl) * def.halt.meanDays);
        }
        if (this.#haltLeft > 0) {
          this.#haltLeft--;
          halted[day] = 1;
          close[day + 1] = p;
          continue;
        }
      }
      const dividend = def.dividend ?? null;
      if (dividend !== null && day > def.firstIdx && ex < dividend.chance) {
        // A cash dividend: the day trades from the previous close less the dividend (at most a tenth).
        const ref = Math.max(1, p - Math.min(Math.round(dividend.perShare * def.scale), Math.round(p / 10)));
        if (ref < p) {
          exRights.set(day, ref);
          this.#anchor -= Math.log(p / ref);
          p = ref;
        }
      }
      let r =
        def.beta * (this.#factor[day] ?? 0) +
        def.sigma * z +
        (jump < def.jumpP ? 0.09 * jz : 0) -
        MEAN_REVERSION * (Math.log(p) - this.#anchor);
      if (r > 0.6) r = 0.6;
      let c = Math.round(p * Math.exp(r));
      if (def.limitPct !== null) {
        const up = limitUp(p, def.limitPct);
        const dn = limitDown(p, def.limitPct);
        c = c > up ? up : Math.max(c, dn);
      }
      if (c < 1) c = 1;
      close[day + 1] = c;
      p = c;
    }
    this.#p = p;
    return this;
  }
}

export function isTrading(def: ChainDef, chain: Chain, t: number): boolean {
  return t >= def.firstIdx && t < def.endIdx && (chain.halted === null || chain.halted[t] === 0);
}

/**
 * The reference price of trading day t: the last close before it (across suspensions), or on an
 * ex-rights day that close less the dividend. Tushare serves it as `pre_close`.
 */
export function preClose(chain: Chain, t: number): number {
  return chain.exRights.get(t) ?? (chain.close[t] as number);
}

/**
 * Tushare's cumulative backward adjustment factor on day t: `base` times, for every ex-rights day up
 * to t, the previous close over the ex-rights reference. price × factor is continuous across them.
 */
export function adjustmentFactor(chain: Chain, base: number, t: number): number {
  let factor = base;
  for (const [day, ref] of chain.exRights) {
    if (day > t) break;
    factor *= (chain.close[day] as number) / ref;
  }
  return factor;
}

/**
 * One day's bar, or null when the instrument does not trade that day. `dayKey` (the date's day
 * number) keys the day's stream. A close at the limit is, three times in ten, a one-price day.
 */
export function dayBar(def: ChainDef, chain: Chain, t: number, dayKey: number, rng: Rng): DayBar | null {
  if (!isTrading(def, chain, t)) return null;
  const pre = preClose(chain, t);
  const close = chain.close[t + 1] as number;
  rng.reseed(mix(def.seed, dayKey));
  const up = def.limitPct === null ? Number.POSITIVE_INFINITY : limitUp(pre, def.limitPct);
  const dn = def.limitPct === null ? 1 : limitDown(pre, def.limitPct);
  const move = Math.log(close / pre);
  const gap = rng.clippedNormal(3) * 0.35 * def.sigma + 0.3 * move;
  const wickUp = Math.abs(rng.clippedNormal(3)) * 0.5 * def.sigma;
  const wickDown = Math.abs(rng.clippedNormal(3)) * 0.5 * def.sigma;
  const volNoise = Math.exp(0.35 * rng.clippedNormal(3));
  const oneWord = (close === up || close === dn) && rng.next() < 0.3;
  let vol = Math.max(1, Math.round(def.baseVol * volNoise * (1 + 8 * Math.abs(move))));
  if (oneWord)
    return { pre, open: close, high: close, low: close, close, vol: Math.max(1, Math.round(vol * 0.15)) };
  let open = Math.round(pre * Math.exp(gap));
  open = open > up ? up : Math.max(open, dn);
  let high = Math.ceil(Math.max(open, close) * (1 + wickUp));
  let low = Math.floor(Math.min(open, close) * (1 - wickDown));
  if (high > up) high = up;
  if (low < dn) low = dn;
  if (high < Math.max(open, close)) high = Math.max(open, close);
  if (low > Math.min(open, close)) low = Math.min(open, close);
  vol = Math.max(1, vol);
  return { pre, open, high, low, close, vol };
}

/** A floating path (futures underlyings, metals, FX, rates): p[t + 1] = level on day t, p[0] before the range. */
export function buildLevelPath(
  seed: number,
  start: number,
  days: number,
  step: (rng: Rng, level: number, t: number) => number,
): Float64Array {
  const path = new Float64Array(days + 1);
  const rng = new Rng(mix(seed, CHAIN_SALT));
  path[0] = start;
  let level = start;
  for (let t = 0; t < days; t++) {
    level = step(rng, level, t);
    path[t + 1] = level;
  }
  return path;
}

/** The market's daily log return: the common factor stocks, ETFs and indexes load on. */
export function buildMarketFactor(seed: number, days: number): Float64Array {
  const factor = new Float64Array(days);
  const rng = new Rng(mix(seed, 0xfac7_0001));
  let vol = 0.011;
  for (let t = 0; t < days; t++) {
    // Volatility clusters a little, as it does in real markets.
    vol = 0.9 * vol + 0.1 * 0.011 * Math.exp(0.5 * rng.clippedNormal(3));
    factor[t] = 0.0002 + vol * rng.clippedNormal(4);
  }
  return factor;
}

import { ValidationError } from '../../../contracts/errors.js';
import type { Query } from '../filter.js';
import { TradingCalendar } from './calendar.js';
import { type DayNum, isYmd, parseYmd } from './dates.js';
import {
  buildChain,
  buildLevelPath,
  buildMarketFactor,
  type Chain,
  type DayBar,
  dayBar,
  type LazyChain,
} from './paths.js';
import { hashString, Rng } from './prng.js';
import {
  buildContracts,
  buildEtfs,
  buildFx,
  buildIndexes,
  buildProducts,
  buildSge,
  buildStocks,
  type ChainDef,
  type ContractDef,
  type EtfDef,
  type FxDef,
  type IndexDef,
  type MarketSize,
  type ProductDef,
  type SgeDef,
  SIZES,
  type StockDef,
} from './universe.js';

export interface SyntheticOptions {
  seed: number;
  size: MarketSize;
  /** First calendar day, `YYYYMMDD`; default 20230101. */
  from?: string;
  /** Last calendar day, `YYYYMMDD`; default 20281231. */
  to?: string;
  /** The day realtime endpoints answer for; default the last CN trading day of the range. */
  today?: string;
}

const lazy = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
};

/**
 * The state of one synthetic market: calendars, the instrument universe and cached price paths. It
 * builds nothing until asked; each path is built once, on first use, and kept.
 */
export class Market {
  readonly seed: number;
  readonly size: MarketSize;
  readonly from: string;
  readonly to: string;
  readonly cn: TradingCalendar;
  readonly fx: TradingCalendar;
  readonly us: TradingCalendar;
  /** Index (in `cn`) of the day realtime endpoints answer for. */
  readonly todayIdx: number;
  /** Scratch stream for per-day draws; reseeded before every use. */
  readonly rng = new Rng(0);

  readonly stocks: () => readonly StockDef[];
  readonly etfs: () => readonly EtfDef[];
  readonly indexes: () => readonly IndexDef[];
  readonly products: () => readonly ProductDef[];
  readonly contracts: () => readonly ContractDef[];
  readonly sge: () => readonly SgeDef[];
  readonly fxPairs: () => readonly FxDef[];
  readonly factor: () => Float64Array;
  readonly #chains = new Map<string, LazyChain>();
  readonly #paths = new Map<string, Float64Array>();
  readonly #byCode: () => ReadonlyMap<string, StockDef | EtfDef | IndexDef>;

  constructor(options: SyntheticOptions) {
    const from = options.from ?? '20230101';
    const to = options.to ?? '20281231';
    const issues = [];
    if (!Number.isInteger(options.seed) || options.seed < 0)
      issues.push({ path: 'seed', message: 'expected a non-negative integer' });
    if (!(options.size in SIZES)) issues.push({ path: 'size', message: 'expected tiny, small or default' });
    if (!isYmd(from)) issues.push({ path: 'from', message: 'expected a YYYYMMDD date' });
    if (!isYmd(to)) issues.push({ path: 'to', message: 'expected a YYYYMMDD date' });
    if (options.today !== undefined && !isYmd(options.today))
      issues.push({ path: 'today', message: 'expected a YYYYMMDD date' });
    if (issues.length === 0 && parseYmd(to) - parseYmd(from) < 120)
      issues.push({ path: 'to', message: 'the range must span at least 120 days' });
    if (issues.length > 0) throw new ValidationError('synthetic market options', issues);

    this.seed = options.seed;
    this.size = options.size;
    this.from = from;
    this.to = to;
    this.cn = new TradingCalendar('CN', parseYmd(from), parseYmd(to));
    this.fx = new TradingCalendar('FX', parseYmd(from), parseYmd(to));
    this.us = new TradingCalendar('US', parseYmd(from), parseYmd(to));
    const today = options.today === undefined ? this.cn.length - 1 : this.cn.span(null, options.today)[1] - 1;
    this.todayIdx = Math.max(0, today);

    const range = { cal: this.cn, seed: this.seed };
    const sizes = SIZES[this.size];
    this.stocks = lazy(() => buildStocks(range, sizes.stocks));
    this.etfs = lazy(() => buildEtfs(range, sizes.etfs));
    this.indexes = lazy(() => buildIndexes(range, sizes.indexes));
    this.products = lazy(() => buildProducts(this.seed, this.size));
    this.contracts = lazy(() => buildContracts(this.cn, this.products()));
    this.sge = lazy(() => buildSge(range, sizes.sge));
    this.fxPairs = lazy(() => buildFx(this.seed));
    this.factor = lazy(() => buildMarketFactor(this.seed, this.cn.length));
    this.#byCode = lazy(
      () => new Map([...this.stocks(), ...this.etfs(), ...this.indexes()].map((d) => [d.tsCode, d])),
    );
  }

  /** A stock, ETF or index by ts_code. */
  equity(tsCode: string): StockDef | EtfDef | IndexDef | undefined {
    return this.#byCode().get(tsCode);
  }

  /**
   * An instrument's chain of closes, built at least through trading day t (the whole range by
   * default): a query of early days does not pay for the later ones.
   */
  chain(def: ChainDef, t: number = this.cn.length - 1): Chain {
    let chain = this.#chains.get(def.tsCode);
    if (chain === undefined) {
      chain = buildChain(def, this.factor(), this.cn.length);
      this.#chains.set(def.tsCode, chain);
    }
    return chain.through(t);
  }

  /** The bar of trading day t (index in `cn`), null when the instrument does not trade that day. */
  bar(def: ChainDef, t: number): DayBar | null {
    if (t < def.firstIdx || t >= def.endIdx) return null;
    return dayBar(def, this.chain(def, t), t, this.cn.dayNums[t] as number, this.rng);
  }

  /** A cached floating path keyed by name. */
  path(key: string, make: () => Float64Array): Float64Array {
    let path = this.#paths.get(key);
    if (path === undefined) {
      path = make();
      this.#paths.set(key, path);
    }
    return path;
  }

  /** A level path on a calendar with a stream of its own, keyed by name. */
  levelPath(
    key: string,
    cal: TradingCalendar,
    start: number,
    step: (rng: Rng, level: number, t: number) => number,
  ): Float64Array {
    return this.path(key, () => buildLevelPath(hashString(key, this.seed), start, cal.length, step));
  }

  /** The day number of trading day t in `cal`; t = -1 is the open day before the range. */
  dayAt(cal: TradingCalendar, t: number): DayNum {
    return t >= 0 ? (cal.dayNums[t] as number) : cal.prevOpen(cal.from);
  }

  /**
   * The trading-day index span [start, end) a query covers on a calendar: its time bounds, or the
   * latest day when it asks for the latest only.
   */
  span(cal: TradingCalendar, query: Query): [number, number] {
    if (query.latestOnly) return [Math.max(0, cal.length - 1), cal.length];
    const t = query.time;
    const cut = (v: string | null) =>
      v === null ? null : v.length >= 10 ? v.slice(0, 10).replaceAll('-', '') : v;
    const lo = cut(t?.from ?? null);
    const hi = cut(t?.to ?? null);
    if ((lo !== null && !isYmd(lo)) || (hi !== null && !isYmd(hi))) return [0, cal.length];
    return cal.span(lo, hi);
  }
}

import type { ApiName } from '../../../contracts/catalog/index.js';
import type { SandboxDataset, WireRow } from '../dataset.js';
import { type ParamValues, parseQuery, type Query, select } from '../filter.js';
import type { CalendarName } from './calendar.js';
import { formatYmd } from './dates.js';
import {
  adjFactor,
  daily,
  dailyBasic,
  fundBasic,
  fundDaily,
  indexBasic,
  indexDaily,
  moneyflow,
  stkPremarket,
  stockBasic,
  suspendD,
  tradeCal,
} from './equity.js';
import { futBasic, futDaily, futHolding, futWsr } from './futures.js';
import { macro } from './macro.js';
import { Market, type SyntheticOptions } from './market.js';
import { ftMinutes, idxMins, rtEtfK, rtIdxK, rtIdxMin, rtMin, stkMins } from './minutes.js';
import { isTrading } from './paths.js';
import { fxDaily, fxObasic, sgeBasic, sgeDaily } from './spot.js';
import type { MarketSize } from './universe.js';

export type { CalendarName } from './calendar.js';
export type { SyntheticOptions } from './market.js';
export { fieldsWithoutGenerator } from './rows.js';
export type { MarketSize } from './universe.js';

type Generator = (m: Market, q: Query) => WireRow[];

/** One generator per catalog endpoint: the Record type makes a missing one a compile error. */
const GENERATORS: Readonly<Record<ApiName, Generator>> = {
  daily,
  adj_factor: adjFactor,
  stock_basic: stockBasic,
  suspend_d: suspendD,
  trade_cal: tradeCal,
  fund_daily: fundDaily,
  fund_basic: fundBasic,
  fut_daily: futDaily,
  fut_basic: futBasic,
  sge_daily: sgeDaily,
  sge_basic: sgeBasic,
  index_basic: indexBasic,
  fx_daily: fxDaily,
  fx_obasic: fxObasic,
  ...macro,
  rt_idx_k: rtIdxK,
  rt_idx_min: rtIdxMin,
  idx_mins: idxMins,
  rt_etf_k: rtEtfK,
  rt_min: rtMin,
  stk_mins: stkMins,
  ft_mins: ftMinutes,
  fut_wsr: futWsr,
  fut_holding: futHolding,
  stk_premarket: stkPremarket,
  index_daily: indexDaily,
  daily_basic: dailyBasic,
  moneyflow,
};

export type InstrumentClass = 'stock' | 'etf' | 'index' | 'futures' | 'spot' | 'fx';

export interface InstrumentInfo {
  tsCode: string;
  name: string;
  exchange: string;
  listDate: string;
  /** The first day it no longer trades (a futures contract: its last trading day); null while listed. */
  delistDate: string | null;
}

export interface SyntheticMarket extends SandboxDataset {
  readonly kind: 'synthetic';
  readonly seed: number;
  readonly size: MarketSize;
  readonly from: string;
  readonly to: string;
  /** The trading day realtime endpoints answer for. */
  readonly today: string;
  /** Every calendar day of the range with its open flag: CN (SSE, futures, SGE), FX or US. */
  calendar(name?: CalendarName): { date: string; isOpen: boolean }[];
  /** The open days of the range, ascending. */
  tradingDays(name?: CalendarName): readonly string[];
  instruments(assetClass: InstrumentClass): InstrumentInfo[];
  /** ts_codes listed on a day, suspended ones included (futures: contracts alive that day). */
  listedOn(assetClass: InstrumentClass, date: string): string[];
  /** ts_codes with a daily bar on a day: listed, and not suspended. */
  tradingOn(assetClass: InstrumentClass, date: string): string[];
  /** What the sandbox answers for a query: the rows a correct pipeline must end up with. */
  expectedRows(apiName: ApiName, params: ParamValues): WireRow[];
}

/**
 * A deterministic synthetic market over a date range (default 2023-01-01 … 2028-12-31): the same
 * seed and options always give the same rows, and an instrument's data depends only on the seed
 * and its own ts_code, so a bigger market only adds instruments. See producers/sandbox/README.md.
 */
export function createSyntheticMarket(options: SyntheticOptions): SyntheticMarket {
  const m = new Market(options);
  const calendarOf = (name: CalendarName = 'CN') => (name === 'CN' ? m.cn : name === 'FX' ? m.fx : m.us);
  const query = (apiName: ApiName, params: ParamValues): WireRow[] => {
    const q = parseQuery(apiName, params);
    return select(q, GENERATORS[apiName](m, q));
  };

  const instruments = (assetClass: InstrumentClass): InstrumentInfo[] => {
    switch (assetClass) {
      case 'stock':
        return m.stocks().map((s) => ({
          tsCode: s.tsCode,
          name: s.company.name,
          exchange: s.exchange,
          listDate: s.listDate,
          delistDate: s.delistDate,
        }));
      case 'etf':
        return m.etfs().map((e) => ({
          tsCode: e.tsCode,
          name: e.name,
          exchange: e.tsCode.endsWith('.SH') ? 'SSE' : 'SZSE',
          listDate: e.listDate,
          delistDate: e.delistDate,
        }));
      case 'index':
        return m.indexes().map((i) => ({
          tsCode: i.tsCode,
          name: i.name,
          exchange: i.market,
          listDate: i.listDate,
          delistDate: null,
        }));
      case 'futures':
        return m.contracts().map((c) => ({
          tsCode: c.tsCode,
          name: c.name,
          exchange: c.product.exchange,
          listDate: formatYmd(c.listDay),
          delistDate: formatYmd(c.delistDay),
        }));
      case 'spot':
        return m.sge().map((s) => ({
          tsCode: s.tsCode,
          name: s.name,
          exchange: 'SGE',
          listDate: s.listDate,
          delistDate: null,
        }));
      case 'fx':
        return m.fxPairs().map((f) => ({
          tsCode: f.tsCode,
          name: f.name,
          exchange: 'FXCM',
          listDate: m.from,
          delistDate: null,
        }));
    }
  };

  const onDay = (assetClass: InstrumentClass, date: string, trading: boolean): string[] => {
    if (assetClass === 'fx') return m.fx.indexOf(date) === undefined ? [] : m.fxPairs().map((f) => f.tsCode);
    const t = m.cn.indexOf(date);
    if (t === undefined) return [];
    const day = m.cn.dayNums[t] as number;
    switch (assetClass) {
      case 'futures':
        return m
          .contracts()
          .filter((c) => day >= c.listDay && day <= c.delistDay)
          .map((c) => c.tsCode);
      case 'spot':
        return m
          .sge()
          .filter((s) => t >= s.firstIdx)
          .map((s) => s.tsCode);
      default: {
        const defs = assetClass === 'stock' ? m.stocks() : assetClass === 'etf' ? m.etfs() : m.indexes();
        return defs
          .filter((d) => (trading ? isTrading(d, m.chain(d, t), t) : t >= d.firstIdx && t < d.endIdx))
          .map((d) => d.tsCode);
      }
    }
  };

  return {
    kind: 'synthetic',
    seed: m.seed,
    size: m.size,
    from: m.from,
    to: m.to,
    today: m.cn.days[m.todayIdx] as string,
    query,
    supports: (apiName) => apiName in GENERATORS,
    calendar: (name) => calendarOf(name).allDays(),
    tradingDays: (name) => calendarOf(name).days,
    instruments,
    listedOn: (assetClass, date) => onDay(assetClass, date, false).sort(),
    tradingOn: (assetClass, date) => onDay(assetClass, date, true).sort(),
    expectedRows: query,
  };
}

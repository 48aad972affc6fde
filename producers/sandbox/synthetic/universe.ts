import { FUTURES_EXCHANGE_SUFFIX } from '../../../contracts/sessions.js';
import type { TradingCalendar } from './calendar.js';
import { type DayNum, dayNum, formatYmd, monthOf, nthWeekday, parseYmd, yearOf, yyyymm } from './dates.js';
import {
  AREAS,
  type CompanyName,
  CUSTODIANS,
  companyName,
  ETF_THEMES,
  FUND_HOUSES,
  INDUSTRIES,
  personName,
} from './names.js';
import { hashString, Rng } from './prng.js';

export type MarketSize = 'tiny' | 'small' | 'default';

/** How many instruments of each kind a market size holds. */
export const SIZES: Readonly<
  Record<
    MarketSize,
    { stocks: number; etfs: number; indexes: number; productsPerExchange: number; sge: number }
  >
> = {
  tiny: { stocks: 40, etfs: 8, indexes: 5, productsPerExchange: 2, sge: 5 },
  small: { stocks: 500, etfs: 50, indexes: 20, productsPerExchange: 3, sge: 10 },
  default: { stocks: 5000, etfs: 300, indexes: 50, productsPerExchange: Number.POSITIVE_INFINITY, sge: 15 },
};

export interface HaltModel {
  /** Daily chance that a suspension starts. */
  readonly start: number;
  /** Mean length in trading days of a short suspension. */
  readonly meanDays: number;
}

/** What the daily price chain of a stock, ETF or index needs. Prices are integers of 1/scale. */
export interface ChainDef {
  readonly tsCode: string;
  readonly seed: number;
  /** Index of the first trading day in range (0 when listed before the range). */
  readonly firstIdx: number;
  /** Index after the last trading day in range. */
  readonly endIdx: number;
  readonly scale: number;
  readonly limitPct: number | null;
  /** Price before the first day in range, or the issue price when listed inside it. */
  readonly initial: number;
  readonly sigma: number;
  readonly beta: number;
  readonly jumpP: number;
  readonly halt: HaltModel | null;
  /** Typical daily volume, lots. */
  readonly baseVol: number;
  /** Cash dividends (stocks only): the daily chance of an ex-rights day and the CNY paid per share. */
  readonly dividend?: DividendModel | null;
}

export interface DividendModel {
  readonly chance: number;
  readonly perShare: number;
}

export type Board = 'sh_main' | 'star' | 'sz_main' | 'chinext' | 'bj';

interface BoardSpec {
  board: Board;
  exchange: 'SSE' | 'SZSE' | 'BSE';
  suffix: 'SH' | 'SZ' | 'BJ';
  first: number;
  share: number;
  limitPct: number;
  market: string;
  opened: string;
}

const BOARDS: readonly BoardSpec[] = [
  {
    board: 'sh_main',
    exchange: 'SSE',
    suffix: 'SH',
    first: 600000,
    share: 0.32,
    limitPct: 10,
    market: '主板',
    opened: '19901219',
  },
  {
    board: 'star',
    exchange: 'SSE',
    suffix: 'SH',
    first: 688001,
    share: 0.11,
    limitPct: 20,
    market: '科创板',
    opened: '20190722',
  },
  {
    board: 'sz_main',
    exchange: 'SZSE',
    suffix: 'SZ',
    first: 1,
    share: 0.29,
    limitPct: 10,
    market: '主板',
    opened: '19910403',
  },
  {
    board: 'chinext',
    exchange: 'SZSE',
    suffix: 'SZ',
    first: 300001,
    share: 0.24,
    limitPct: 20,
    market: '创业板',
    opened: '20091030',
  },
  {
    board: 'bj',
    exchange: 'BSE',
    suffix: 'BJ',
    first: 830001,
    share: 0.04,
    limitPct: 30,
    market: '北交所',
    opened: '20211115',
  },
];

export interface StockDef extends ChainDef {
  readonly board: Board;
  readonly exchange: string;
  readonly market: string;
  readonly symbol: string;
  readonly company: CompanyName;
  readonly area: string;
  readonly industry: string;
  readonly listDate: string;
  readonly delistDate: string | null;
  readonly isHs: string;
  readonly actName: string;
  readonly actEntType: string;
  /** Ten thousand shares. */
  readonly totalShare: number;
  readonly floatShare: number;
  readonly freeShare: number;
  /** Per-share fundamentals in CNY; eps ≤ 0 means loss-making; dps null means no dividend. */
  readonly eps: number;
  readonly epsTtm: number;
  readonly bps: number;
  readonly sps: number;
  readonly spsTtm: number;
  readonly dps: number | null;
  /** adj_factor before the range: 1 for a listing inside it, the product of earlier ex-rights days otherwise. */
  readonly adjBase: number;
}

export interface EtfDef extends ChainDef {
  readonly name: string;
  readonly theme: string;
  readonly fundType: string;
  readonly management: string;
  readonly custodian: string;
  readonly listDate: string;
  readonly foundDate: string;
  readonly issueDate: string;
  readonly delistDate: string | null;
  readonly issueAmount: number;
  readonly mFee: number;
  readonly cFee: number;
}

export interface IndexDef extends ChainDef {
  readonly name: string;
  readonly fullname: string;
  readonly market: string;
  readonly publisher: string;
  readonly indexType: string;
  readonly category: string;
  readonly baseDate: string;
  readonly basePoint: number;
  readonly listDate: string;
  readonly weightRule: string;
  readonly desc: string;
  /** Average price of a constituent share, CNY: turns index volume into an amount. */
  readonly sharePrice: number;
}

interface Range {
  readonly cal: TradingCalendar;
  readonly seed: number;
}

/** Index range [firstIdx, endIdx) of a listing inside the calendar's range. */
function tradingSpan(cal: TradingCalendar, list: DayNum, delist: DayNum | null): [number, number] {
  const first = cal.indexOnOrAfter(list);
  const end = delist === null ? cal.length : cal.indexOnOrAfter(delist);
  return [first, Math.max(first, end)];
}

const lognormal = (rng: Rng, median: number, spread: number) => median * Math.exp(spread * rng.normal());
const round = (v: number, decimals: number) => Math.round(v * 10 ** decimals) / 10 ** decimals;

/** About two ex-rights days a year for a dividend payer, so a month of a small market holds some. */
const DIVIDEND_CHANCE = 2 / 245;
const ADJ_BASE_SALT = 0xad1f_ac70;

/** A listing inside the range starts at 1, as Tushare's factors do; older stocks carry their history. */
function adjBaseOf(tsCode: string, seed: number, listedInRange: boolean): number {
  if (listedInRange) return 1;
  return round(1 + 40 * new Rng(hashString(tsCode, seed ^ ADJ_BASE_SALT)).next() ** 2, 3);
}

/**
 * Stocks. Codes run up from each board's first code, so a bigger market only adds codes. Some
 * features are placed by ordinal so even the tiny market has them: every 8th code of a board (from
 * the 6th) lists inside the range, every 20th (from the 10th) is delisted inside it, every 6th (from
 * the 3rd) is suspended often.
 */
export function buildStocks(range: Range, count: number): StockDef[] {
  const { cal, seed } = range;
  const out: StockDef[] = [];
  for (const board of BOARDS) {
    const n = Math.max(1, Math.round(count * board.share));
    for (let i = 0; i < n; i++) {
      const symbol = String(board.first + i).padStart(6, '0');
      const tsCode = `${symbol}.${board.suffix}`;
      const h = hashString(tsCode, seed);
      const rng = new Rng(h);
      const inRange = i % 8 === 5;
      const opened = parseYmd(board.opened);
      const list = inRange
        ? cal.openOnOrAfter(cal.from + 5 + Math.floor(rng.next() * (cal.to - cal.from - 90)))
        : cal.openOnOrAfter(opened + Math.floor(rng.next() * Math.max(1, cal.from - 30 - opened)));
      let delist: DayNum | null = null;
      if (i % 20 === 9) {
        const earliest = Math.max(list + 60, cal.from + 20);
        if (earliest < cal.to - 10)
          delist = cal.openOnOrAfter(earliest + Math.floor(rng.next() * (cal.to - 10 - earliest)));
      }
      const [firstIdx, endIdx] = tradingSpan(cal, list, delist);
      const growth = board.board === 'star' || board.board === 'chinext' || board.board === 'bj';
      const initial = Math.min(
        300,
        Math.max(2, round(lognormal(rng, inRange ? 22 : growth ? 25 : 12, 0.6), 2)),
      );
      const totalShare = round(
        Math.min(3_000_000, Math.max(3000, lognormal(rng, growth ? 30_000 : 90_000, 1))),
        4,
      );
      const floatShare = round(totalShare * (inRange ? rng.between(0.15, 0.35) : rng.between(0.5, 1)), 4);
      const freeShare = round(floatShare * rng.between(0.4, 0.95), 4);
      const turnover = lognormal(rng, growth ? 2.5 : 1.2, 0.5);
      const area = rng.pick(AREAS);
      const eyield = 0.05 + 0.045 * rng.normal();
      const eps = round(initial * eyield, 4);
      const sps = round(initial / lognormal(rng, 2.5, 0.6), 4);
      // One literal (one hidden class for every stock, as hot loops read these); the dividend is set
      // after, because its dps is the literal's last draw.
      const stock: { -readonly [K in keyof StockDef]: StockDef[K] } = {
        tsCode,
        seed: h,
        firstIdx,
        endIdx,
        scale: 100,
        limitPct: board.limitPct,
        initial,
        sigma: (growth ? 0.024 : 0.017) * rng.between(0.7, 1.4),
        beta: rng.between(0.6, 1.4),
        jumpP: 0.012,
        halt: i % 6 === 2 ? { start: 0.012, meanDays: 4 } : { start: 0.0015, meanDays: 2 },
        baseVol: Math.max(50, Math.round(floatShare * turnover)),
        board: board.board,
        exchange: board.exchange,
        market: board.market,
        symbol,
        company: companyName(rng, area),
        area,
        industry: rng.pick(INDUSTRIES),
        listDate: formatYmd(list),
        delistDate: delist === null ? null : formatYmd(delist),
        isHs:
          board.exchange === 'SSE' && rng.chance(0.45)
            ? 'H'
            : board.exchange === 'SZSE' && rng.chance(0.45)
              ? 'S'
              : 'N',
        actName: rng.chance(0.1) ? '无实际控制人' : personName(rng),
        actEntType: rng.pick([
          '民营企业',
          '民营企业',
          '民营企业',
          '地方国有企业',
          '中央国有企业',
          '外资企业',
        ]),
        totalShare,
        floatShare,
        freeShare,
        eps,
        epsTtm: round(eps * rng.between(0.85, 1.15), 4),
        bps: round(initial / lognormal(rng, 2, 0.5), 4),
        sps,
        spsTtm: round(sps * rng.between(0.9, 1.1), 4),
        dps: rng.chance(0.3) ? null : round(initial * rng.between(0.004, 0.04), 4),
        dividend: null,
        adjBase: adjBaseOf(tsCode, seed, inRange),
      };
      if (stock.dps !== null) stock.dividend = { chance: DIVIDEND_CHANCE, perShare: stock.dps };
      out.push(stock);
    }
  }
  return out;
}

/** Shanghai ETFs take 51xxxx/56xxxx/58xxxx codes, Shenzhen ones 159xxx; six in ten list in Shanghai. */
function etfCode(i: number): string {
  if (i % 5 < 3) {
    const k = Math.floor(i / 5) * 3 + (i % 5);
    const blocks = [510000, 512000, 515000, 516000, 588000, 560000, 561000, 562000];
    const block = blocks[Math.floor(k / 99) % blocks.length] as number;
    return `${block + 10 * ((k % 99) + 1)}.SH`;
  }
  const k = Math.floor(i / 5) * 2 + (i % 5) - 3;
  return `${159001 + 3 * k}.SZ`;
}

/** ETFs; every 6th (from the 5th) lists inside the range and every 30th (from the 6th) is delisted in it. */
export function buildEtfs(range: Range, count: number): EtfDef[] {
  const { cal, seed } = range;
  const out: EtfDef[] = [];
  for (let i = 0; i < count; i++) {
    const tsCode = etfCode(i);
    const h = hashString(tsCode, seed);
    const rng = new Rng(h);
    const [theme, fundType, beta] = ETF_THEMES[i % ETF_THEMES.length] as readonly [string, string, number];
    const management = rng.pick(FUND_HOUSES);
    const inRange = i % 6 === 4;
    const list = inRange
      ? cal.openOnOrAfter(cal.from + 10 + Math.floor(rng.next() * (cal.to - cal.from - 90)))
      : cal.openOnOrAfter(
          dayNum(2005, 2, 23) + Math.floor(rng.next() * Math.max(1, cal.from - 60 - dayNum(2005, 2, 23))),
        );
    let delist: DayNum | null = null;
    if (i % 30 === 5) {
      const earliest = Math.max(list + 90, cal.from + 30);
      if (earliest < cal.to - 10)
        delist = cal.openOnOrAfter(earliest + Math.floor(rng.next() * (cal.to - 10 - earliest)));
    }
    const [firstIdx, endIdx] = tradingSpan(cal, list, delist);
    const found = list - 20 - rng.int(20);
    out.push({
      tsCode,
      seed: h,
      firstIdx,
      endIdx,
      scale: 1000,
      limitPct: 10,
      initial: inRange ? 1 : round(Math.max(0.3, lognormal(rng, 1.6, 0.6)), 3),
      sigma: 0.003 + 0.012 * Math.min(1.5, beta) * rng.between(0.8, 1.2),
      beta,
      jumpP: 0.002,
      halt: null,
      baseVol: Math.round(lognormal(rng, 150_000, 1)),
      name: `${management.replace('基金', '')}${theme}ETF`,
      theme,
      fundType,
      management,
      custodian: rng.pick(CUSTODIANS),
      listDate: formatYmd(list),
      foundDate: formatYmd(found),
      issueDate: formatYmd(found - 14 - rng.int(10)),
      delistDate: delist === null ? null : formatYmd(delist),
      issueAmount: round(lognormal(rng, 8, 0.8), 4),
      mFee: rng.pick([0.15, 0.2, 0.45, 0.5]),
      cFee: rng.pick([0.05, 0.1]),
    });
  }
  return out;
}

/** [ts_code, name, market, base date, base point, list date, level at the start of 2023, category] */
const NAMED_INDEXES: readonly (readonly [string, string, string, string, number, string, number, string])[] =
  [
    ['000001.SH', '上证指数', 'SSE', '19901219', 100, '19910715', 3089, '综合指数'],
    ['000300.SH', '沪深300', 'SSE', '20041231', 1000, '20050408', 3871, '规模指数'],
    ['000905.SH', '中证500', 'SSE', '20041231', 1000, '20070115', 5983, '规模指数'],
    ['399001.SZ', '深证成指', 'SZSE', '19940720', 1000, '19950123', 11016, '规模指数'],
    ['399006.SZ', '创业板指', 'SZSE', '20100531', 1000, '20100601', 2346, '规模指数'],
    ['000016.SH', '上证50', 'SSE', '20031231', 1000, '20040102', 2635, '规模指数'],
    ['000688.SH', '科创50', 'SSE', '20191231', 1000, '20200723', 974, '规模指数'],
    ['000852.SH', '中证1000', 'SSE', '20041231', 1000, '20141017', 6330, '规模指数'],
    ['000010.SH', '上证180', 'SSE', '20020628', 3299.06, '20020701', 8441, '规模指数'],
    ['399005.SZ', '中小100', 'SZSE', '20050607', 1000, '20060124', 7219, '规模指数'],
    ['399300.SZ', '沪深300', 'SZSE', '20041231', 1000, '20050408', 3871, '规模指数'],
    ['399330.SZ', '深证100', 'SZSE', '20021231', 1000, '20060124', 5211, '规模指数'],
    ['000015.SH', '红利指数', 'SSE', '20041231', 1000, '20050103', 2773, '策略指数'],
    ['000922.CSI', '中证红利', 'CSI', '20041231', 1000, '20080526', 4923, '策略指数'],
    ['000510.CSI', '中证A500', 'CSI', '20041231', 1000, '20240923', 4300, '规模指数'],
  ];

const CSI_THEMES = [
  '半导体',
  '医疗',
  '新能源',
  '白酒',
  '军工',
  '光伏产业',
  '动漫游戏',
  '证券公司',
  '银行',
  '煤炭',
];
const SW_INDUSTRIES = [
  '农林牧渔',
  '基础化工',
  '钢铁',
  '有色金属',
  '电子',
  '家用电器',
  '食品饮料',
  '纺织服饰',
  '医药生物',
  '公用事业',
];

const PUBLISHER: Readonly<Record<string, string>> = {
  SSE: '中证指数有限公司',
  CSI: '中证指数有限公司',
  SZSE: '深圳证券信息有限公司',
  SW: '申万宏源研究',
};

export function buildIndexes(range: Range, count: number): IndexDef[] {
  const { cal, seed } = range;
  const out: IndexDef[] = [];
  for (let i = 0; i < count; i++) {
    const named = NAMED_INDEXES[i];
    let tsCode: string;
    let name: string;
    let market: string;
    let category: string;
    let baseDate: string;
    let basePoint: number;
    let listDate: string;
    let level: number;
    const k = i - NAMED_INDEXES.length;
    if (named !== undefined) {
      [tsCode, name, market, baseDate, basePoint, listDate, level, category] = named;
    } else if (k % 2 === 0) {
      const theme = CSI_THEMES[(k / 2) % CSI_THEMES.length] as string;
      tsCode = `${930601 + k * 7}.CSI`;
      name = `中证${theme}${k >= 2 * CSI_THEMES.length ? Math.floor(k / 20) + 1 : ''}`;
      market = 'CSI';
      category = '主题指数';
      baseDate = '20131231';
      basePoint = 1000;
      listDate = '';
      level = 0;
    } else {
      const industry = SW_INDUSTRIES[((k - 1) / 2) % SW_INDUSTRIES.length] as string;
      tsCode = `${801010 + (k - 1) * 5}.SI`;
      name = `${industry}${k >= 2 * SW_INDUSTRIES.length ? Math.floor(k / 20) + 1 : ''}`;
      market = 'SW';
      category = '一级行业指数';
      baseDate = '19991230';
      basePoint = 1000;
      listDate = '';
      level = 0;
    }
    const h = hashString(tsCode, seed);
    const rng = new Rng(h);
    if (listDate === '') {
      const inRange = k % 10 === 7;
      listDate = formatYmd(
        inRange
          ? cal.openOnOrAfter(cal.from + 20 + rng.int(cal.to - cal.from - 120))
          : cal.openOnOrAfter(dayNum(2014, 1, 1) + rng.int(Math.max(1, cal.from - dayNum(2014, 1, 1) - 30))),
      );
      level = inRange ? basePoint : round(lognormal(rng, 3500, 0.5), 2);
    }
    const list = parseYmd(listDate);
    const [firstIdx, endIdx] = tradingSpan(cal, list, null);
    const broad = category === '综合指数' || category === '规模指数';
    out.push({
      tsCode,
      seed: h,
      firstIdx,
      endIdx,
      scale: 10_000,
      limitPct: null,
      initial: level,
      sigma: broad ? 0.004 : 0.009,
      beta: broad ? 1 : rng.between(0.8, 1.5),
      jumpP: 0,
      halt: null,
      baseVol: Math.round(broad ? lognormal(rng, 150_000_000, 0.5) : lognormal(rng, 8_000_000, 0.6)),
      name,
      fullname: market === 'SW' ? `申万一级行业指数-${name}` : /指数?$/.test(name) ? name : `${name}指数`,
      market,
      publisher: PUBLISHER[market] ?? '中证指数有限公司',
      indexType:
        market === 'SW'
          ? '申万一级指数'
          : market === 'SZSE'
            ? '深证系列指数'
            : market === 'SSE'
              ? '上证系列指数'
              : '中证主题指数',
      category,
      baseDate,
      basePoint,
      listDate,
      weightRule: rng.pick(['自由流通市值加权', '总市值加权', '股息率加权']),
      desc: `${name}反映相关证券的整体表现。`,
      sharePrice: round(rng.between(8, 35), 2),
    });
  }
  return out;
}

// ------------------------------------------------------------------ futures

export type ContractKind = 'commodity' | 'equity_index' | 'bond';

export interface ProductDef {
  readonly code: string;
  readonly exchange: string;
  readonly name: string;
  readonly goods: string;
  readonly unit: string;
  readonly perUnit: number;
  readonly quote: string;
  readonly tick: number;
  /** Price level at the start of 2023. */
  readonly price: number;
  /** Daily price limit as a fraction of the previous settle. */
  readonly limit: number;
  readonly kind: ContractKind;
  readonly multiplier: number | null;
  readonly seed: number;
}

/** [code, exchange, name, goods, unit, units per lot, quote unit, tick, price, limit, kind, multiplier] */
type ProductRow = readonly [
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  number,
  number,
  number,
  ContractKind,
  number | null,
];

/** Each exchange's products, most liked first: smaller markets take the first few. */
const PRODUCTS: readonly ProductRow[] = [
  ['CU', 'SHFE', '沪铜', '铜', '吨', 5, '元/吨', 10, 66000, 0.07, 'commodity', null],
  ['AU', 'SHFE', '沪金', '黄金', '千克', 1000, '元/克', 0.02, 410, 0.07, 'commodity', null],
  ['AL', 'SHFE', '沪铝', '铝', '吨', 5, '元/吨', 5, 18500, 0.07, 'commodity', null],
  ['ZN', 'SHFE', '沪锌', '锌', '吨', 5, '元/吨', 5, 24000, 0.07, 'commodity', null],
  ['RB', 'SHFE', '螺纹钢', '螺纹钢', '吨', 10, '元/吨', 1, 4100, 0.07, 'commodity', null],
  ['AG', 'SHFE', '沪银', '白银', '千克', 15, '元/千克', 1, 5300, 0.08, 'commodity', null],
  ['NI', 'SHFE', '沪镍', '镍', '吨', 1, '元/吨', 10, 220000, 0.08, 'commodity', null],
  ['HC', 'SHFE', '热轧卷板', '热轧卷板', '吨', 10, '元/吨', 1, 4100, 0.07, 'commodity', null],
  ['RU', 'SHFE', '橡胶', '天然橡胶', '吨', 10, '元/吨', 5, 12800, 0.07, 'commodity', null],
  ['SS', 'SHFE', '不锈钢', '不锈钢', '吨', 5, '元/吨', 5, 16000, 0.07, 'commodity', null],
  ['M', 'DCE', '豆粕', '豆粕', '吨', 10, '元/吨', 1, 3900, 0.07, 'commodity', null],
  ['I', 'DCE', '铁矿石', '铁矿石', '吨', 100, '元/吨', 0.5, 850, 0.11, 'commodity', null],
  ['Y', 'DCE', '豆油', '豆油', '吨', 10, '元/吨', 2, 8800, 0.07, 'commodity', null],
  ['P', 'DCE', '棕榈油', '棕榈油', '吨', 10, '元/吨', 2, 8200, 0.08, 'commodity', null],
  ['C', 'DCE', '玉米', '玉米', '吨', 10, '元/吨', 1, 2800, 0.06, 'commodity', null],
  ['J', 'DCE', '焦炭', '焦炭', '吨', 100, '元/吨', 0.5, 2700, 0.08, 'commodity', null],
  ['JM', 'DCE', '焦煤', '焦煤', '吨', 60, '元/吨', 0.5, 1900, 0.08, 'commodity', null],
  ['PP', 'DCE', '聚丙烯', '聚丙烯', '吨', 5, '元/吨', 1, 7600, 0.07, 'commodity', null],
  ['SR', 'CZCE', '白糖', '白砂糖', '吨', 10, '元/吨', 1, 5700, 0.07, 'commodity', null],
  ['MA', 'CZCE', '甲醇', '甲醇', '吨', 10, '元/吨', 1, 2700, 0.07, 'commodity', null],
  ['CF', 'CZCE', '棉花', '一号棉', '吨', 5, '元/吨', 5, 14500, 0.07, 'commodity', null],
  ['TA', 'CZCE', 'PTA', 'PTA', '吨', 5, '元/吨', 2, 5400, 0.07, 'commodity', null],
  ['FG', 'CZCE', '玻璃', '玻璃', '吨', 20, '元/吨', 1, 1600, 0.08, 'commodity', null],
  ['SA', 'CZCE', '纯碱', '纯碱', '吨', 20, '元/吨', 1, 2800, 0.08, 'commodity', null],
  ['AP', 'CZCE', '苹果', '鲜苹果', '吨', 10, '元/吨', 1, 8200, 0.07, 'commodity', null],
  ['RM', 'CZCE', '菜粕', '菜籽粕', '吨', 10, '元/吨', 1, 3000, 0.07, 'commodity', null],
  ['IF', 'CFFEX', '沪深300股指', '沪深300指数', '点', 300, '点', 0.2, 3870, 0.1, 'equity_index', 300],
  ['IC', 'CFFEX', '中证500股指', '中证500指数', '点', 200, '点', 0.2, 5980, 0.1, 'equity_index', 200],
  ['T', 'CFFEX', '10年期国债', '10年期国债', '百元', 10_000, '百元', 0.005, 100.5, 0.02, 'bond', 10_000],
  ['IH', 'CFFEX', '上证50股指', '上证50指数', '点', 300, '点', 0.2, 2630, 0.1, 'equity_index', 300],
  ['IM', 'CFFEX', '中证1000股指', '中证1000指数', '点', 200, '点', 0.2, 6330, 0.1, 'equity_index', 200],
  ['TF', 'CFFEX', '5年期国债', '5年期国债', '百元', 10_000, '百元', 0.005, 101.5, 0.012, 'bond', 10_000],
  ['SC', 'INE', '原油', '中质含硫原油', '桶', 1000, '元/桶', 0.1, 560, 0.08, 'commodity', null],
  ['LU', 'INE', '低硫燃料油', '低硫燃料油', '吨', 10, '元/吨', 1, 4100, 0.08, 'commodity', null],
  ['NR', 'INE', '20号胶', '20号胶', '吨', 10, '元/吨', 5, 10300, 0.07, 'commodity', null],
  ['BC', 'INE', '国际铜', '阴极铜', '吨', 5, '元/吨', 10, 59000, 0.07, 'commodity', null],
  ['SI', 'GFEX', '工业硅', '工业硅', '吨', 5, '元/吨', 5, 17000, 0.09, 'commodity', null],
  ['LC', 'GFEX', '碳酸锂', '电池级碳酸锂', '吨', 1, '元/吨', 50, 250_000, 0.09, 'commodity', null],
  ['PS', 'GFEX', '多晶硅', '多晶硅', '吨', 3, '元/吨', 5, 50000, 0.09, 'commodity', null],
];

/** Futures exchanges in the order a market of a given size takes them. */
const FUTURES_EXCHANGES: Readonly<Record<MarketSize, readonly string[]>> = {
  tiny: ['SHFE', 'DCE', 'CZCE'],
  small: ['SHFE', 'DCE', 'CZCE', 'CFFEX', 'INE', 'GFEX'],
  default: ['SHFE', 'DCE', 'CZCE', 'CFFEX', 'INE', 'GFEX'],
};

export function buildProducts(seed: number, size: MarketSize): ProductDef[] {
  const perExchange = SIZES[size].productsPerExchange;
  const taken = new Map<string, number>();
  const out: ProductDef[] = [];
  for (const [
    code,
    exchange,
    name,
    goods,
    unit,
    perUnit,
    quote,
    tick,
    price,
    limit,
    kind,
    multiplier,
  ] of PRODUCTS) {
    if (!FUTURES_EXCHANGES[size].includes(exchange)) continue;
    const n = taken.get(exchange) ?? 0;
    if (n >= perExchange) continue;
    taken.set(exchange, n + 1);
    out.push({
      code,
      exchange,
      name,
      goods,
      unit,
      perUnit,
      quote,
      tick,
      price,
      limit,
      kind,
      multiplier,
      seed: hashString(`product:${code}`, seed),
    });
  }
  return out;
}

export interface ContractDef {
  readonly tsCode: string;
  readonly symbol: string;
  readonly product: ProductDef;
  readonly name: string;
  readonly seed: number;
  readonly listDay: DayNum;
  /** Last trading day. */
  readonly delistDay: DayNum;
  readonly lastDeliveryDay: DayNum;
  /** `YYYYMM`. */
  readonly deliveryMonth: string;
  /** Contango (positive) or backwardation, per year. */
  readonly basis: number;
  /** Peak open interest, lots. */
  readonly peakOi: number;
}

/**
 * The last trading day of a delivery month, by the exchange's rule: the 15th (SHFE, INE), the 10th
 * trading day (DCE, CZCE, GFEX), the third Friday (CFFEX equity index) or the second Friday (CFFEX
 * bonds); a closed day moves to the next open one.
 */
function lastTradingDay(cal: TradingCalendar, product: ProductDef, year: number, month: number): DayNum {
  if (product.kind === 'equity_index') return cal.openOnOrAfter(nthWeekday(year, month, 5, 3));
  if (product.kind === 'bond') return cal.openOnOrAfter(nthWeekday(year, month, 5, 2));
  if (product.exchange === 'SHFE' || product.exchange === 'INE')
    return cal.openOnOrAfter(dayNum(year, month, 15));
  return cal.nthOpenOfMonth(year, month, 10);
}

/**
 * Contracts alive at some point of the range. Commodities list every month a year ahead, equity
 * index futures three months ahead, bond futures the quarterly months nine months ahead; a contract
 * lists the trading day after the one `horizon` months before it expires.
 */
export function buildContracts(cal: TradingCalendar, products: readonly ProductDef[]): ContractDef[] {
  const out: ContractDef[] = [];
  const y0 = yearOf(cal.from);
  const m0 = monthOf(cal.from);
  const y1 = yearOf(cal.to);
  const m1 = monthOf(cal.to);
  for (const product of products) {
    const horizon = product.kind === 'commodity' ? 12 : product.kind === 'equity_index' ? 3 : 9;
    const suffix = FUTURES_EXCHANGE_SUFFIX[product.exchange] as string;
    for (let k = y0 * 12 + m0 - 1; k <= y1 * 12 + m1 - 1 + horizon; k++) {
      const year = Math.floor(k / 12);
      const month = (k % 12) + 1;
      if (product.kind === 'bond' && month % 3 !== 0) continue;
      const delistDay = lastTradingDay(cal, product, year, month);
      const prevYear = Math.floor((k - horizon) / 12);
      const prevMonth = ((k - horizon) % 12) + 1;
      const listDay = cal.openOnOrAfter(lastTradingDay(cal, product, prevYear, prevMonth) + 1);
      if (delistDay < cal.from || listDay > cal.to) continue;
      const yymm = yyyymm(year, month).slice(2);
      const symbol =
        product.exchange === 'CZCE' ? `${product.code}${yymm.slice(1)}` : `${product.code}${yymm}`;
      const tsCode = `${symbol}.${suffix}`;
      const rng = new Rng(hashString(tsCode, product.seed));
      let lastDelivery = delistDay;
      for (let d = 0; d < 3; d++) lastDelivery = cal.openOnOrAfter(lastDelivery + 1);
      out.push({
        tsCode,
        symbol,
        product,
        name: `${product.name}${yymm}`,
        seed: hashString(tsCode, product.seed),
        listDay,
        delistDay,
        lastDeliveryDay: lastDelivery,
        deliveryMonth: yyyymm(year, month),
        basis: product.kind === 'bond' ? rng.between(-0.01, 0.01) : rng.between(-0.06, 0.05),
        peakOi: Math.round(lognormal(rng, product.kind === 'commodity' ? 180_000 : 120_000, 0.5)),
      });
    }
  }
  return out;
}

// ------------------------------------------------------------------ SGE spot

export interface SgeDef {
  readonly tsCode: string;
  readonly name: string;
  readonly metal: 'AU' | 'AG' | 'PT';
  readonly deferred: boolean;
  readonly tradeType: string;
  /** Grams per lot. */
  readonly lotGrams: number;
  readonly premium: number;
  /** Typical daily volume, kg. */
  readonly baseVol: number;
  readonly listDate: string;
  readonly seed: number;
  readonly firstIdx: number;
}

/** [ts_code, name, metal, deferred, grams per lot, premium, typical kg a day, list date] */
const SGE_CONTRACTS: readonly (readonly [
  string,
  string,
  'AU' | 'AG' | 'PT',
  boolean,
  number,
  number,
  number,
  string,
])[] = [
  ['Au99.99', '黄金99.99', 'AU', false, 1000, 0.0005, 18000, '20021030'],
  ['Au(T+D)', '黄金延期', 'AU', true, 1000, 0.0008, 45000, '20041018'],
  ['Ag(T+D)', '白银延期', 'AG', true, 1000, 0.001, 4_500_000, '20060428'],
  ['mAu(T+D)', '迷你黄金延期', 'AU', true, 100, 0.0009, 9000, '20080105'],
  ['Au99.95', '黄金99.95', 'AU', false, 1000, -0.0003, 2000, '20021030'],
  ['Au100g', '100克金条', 'AU', false, 100, 0.0012, 300, '20050125'],
  ['Pt99.95', '铂金99.95', 'PT', false, 1000, 0, 600, '20030523'],
  ['Ag99.99', '白银99.99', 'AG', false, 1000, 0.0004, 9000, '20080218'],
  ['Au(T+N1)', '黄金T+N1', 'AU', true, 1000, 0.0006, 1500, '20081229'],
  ['Au(T+N2)', '黄金T+N2', 'AU', true, 1000, 0.0007, 1200, '20081229'],
  ['iAu99.99', '国际板黄金99.99', 'AU', false, 1000, 0.0004, 3000, '20140918'],
  ['Au99.5', '黄金99.5', 'AU', false, 12_500, -0.001, 50, '20021030'],
  ['PGC30g', '熊猫金币30克', 'AU', false, 30, 0.025, 40, '20170929'],
  ['iAu100g', '国际板100克金条', 'AU', false, 100, 0.0013, 100, '20141017'],
  ['NYAuTN06', '纽约金T+N06', 'AU', true, 1000, 0.0005, 800, '20240617'],
];

export function buildSge(range: Range, count: number): SgeDef[] {
  return SGE_CONTRACTS.slice(0, count).map(
    ([tsCode, name, metal, deferred, lotGrams, premium, baseVol, listDate]) => {
      const list = parseYmd(listDate);
      return {
        tsCode,
        name,
        metal,
        deferred,
        tradeType: deferred ? '延期交收合约' : '现货实盘合约',
        lotGrams,
        premium,
        baseVol,
        listDate,
        seed: hashString(tsCode, range.seed),
        firstIdx: range.cal.indexOnOrAfter(list),
      };
    },
  );
}

// ------------------------------------------------------------------ FX

export interface FxDef {
  readonly tsCode: string;
  readonly name: string;
  readonly start: number;
  readonly decimals: number;
  readonly pip: number;
  readonly spreadPips: number;
  readonly sigma: number;
  readonly seed: number;
}

/** The FX whitelist: [pair, name, level at the start of 2023, decimals, daily sigma, spread in pips]. */
const FX_PAIRS: readonly (readonly [string, string, number, number, number, number])[] = [
  ['USDCNH', '美元兑离岸人民币', 6.92, 5, 0.0025, 15],
  ['EURUSD', '欧元兑美元', 1.07, 5, 0.005, 0.8],
  ['USDJPY', '美元兑日元', 131, 3, 0.006, 1],
  ['GBPUSD', '英镑兑美元', 1.21, 5, 0.0055, 1.2],
  ['AUDUSD', '澳元兑美元', 0.68, 5, 0.0065, 1],
  ['USDCHF', '美元兑瑞郎', 0.92, 5, 0.005, 1.5],
  ['USDCAD', '美元兑加元', 1.35, 5, 0.004, 1.8],
  ['NZDUSD', '纽元兑美元', 0.63, 5, 0.007, 1.8],
  ['EURCNH', '欧元兑离岸人民币', 7.4, 5, 0.004, 30],
  ['EURJPY', '欧元兑日元', 140, 3, 0.006, 2],
];

export function buildFx(seed: number): FxDef[] {
  return FX_PAIRS.map(([pair, name, start, decimals, sigma, spreadPips]) => ({
    tsCode: `${pair}.FXCM`,
    name,
    start,
    decimals,
    pip: decimals === 3 ? 0.01 : 0.0001,
    spreadPips,
    sigma,
    seed: hashString(`${pair}.FXCM`, seed),
  }));
}

import type { ApiName } from '../contracts/catalog/index.js';
import { minuteWindow } from '../contracts/sessions.js';
import type { SyntheticMarket } from '../producers/sandbox/synthetic/index.js';
import type { TusharePage } from '../producers/tushare/source.js';
import { clientPages } from './pages.js';

/** The history minute endpoints of the minute mix: stocks, then futures. */
export const MINUTE_APIS = ['stk_mins', 'ft_mins'] as const satisfies readonly ApiName[];

/** Instruments per trade date: about 48k stock bars and 9k futures bars a day, so 1M rows is ~18 days. */
const STOCKS_A_DAY = 200;
const FUTURES_A_DAY = 40;

export interface MinutePages {
  pages: TusharePage[];
  days: string[];
  rowsByApi: Record<(typeof MINUTE_APIS)[number], number>;
}

/** `count` codes spread evenly over a sorted list, the same ones every day they trade. */
function spread(codes: readonly string[], count: number): string[] {
  if (codes.length <= count) return [...codes];
  const step = codes.length / count;
  return Array.from({ length: count }, (_, i) => codes[Math.floor(i * step)] as string);
}

/**
 * `rows` raw 1-minute bars as the Tushare client would page them: per trade date from `fromDate`,
 * one `stk_mins` query per stock and one `ft_mins` per futures contract (night session included)
 * of a fixed sample, cut at `rows`, paged as the client pages them (pages.ts).
 */
export function minutePages(market: SyntheticMarket, rows: number, fromDate: string): MinutePages {
  const result: MinutePages = { pages: [], days: [], rowsByApi: { stk_mins: 0, ft_mins: 0 } };
  let total = 0;
  for (const day of market.tradingDays()) {
    if (day < fromDate) continue;
    if (total >= rows) break;
    result.days.push(day);
    const codes: [(typeof MINUTE_APIS)[number], string[]][] = [
      ['stk_mins', spread(market.tradingOn('stock', day), STOCKS_A_DAY)],
      ['ft_mins', spread(market.tradingOn('futures', day), FUTURES_A_DAY)],
    ];
    for (const [apiName, list] of codes) {
      for (const tsCode of list) {
        if (total >= rows) break;
        const params = { ts_code: tsCode, freq: '1min', ...minuteWindow(day, day) };
        const wire = market.query(apiName, params).slice(0, rows - total);
        const { pages, rows: count } = clientPages(apiName, params, wire);
        result.pages.push(...pages);
        result.rowsByApi[apiName] += count;
        total += count;
      }
    }
  }
  if (total < rows) throw new Error(`the synthetic market holds only ${total} minute rows from ${fromDate}`);
  return result;
}

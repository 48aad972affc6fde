import type { ApiName } from '../contracts/catalog/index.js';
import type { SyntheticMarket } from '../producers/sandbox/synthetic/index.js';
import type { TusharePage } from '../producers/tushare/source.js';
import { clientPages } from './pages.js';

/** The P0 daily-bar endpoints, in the order a day's fetch run asks them. */
export const P0_APIS = [
  'daily',
  'fund_daily',
  'fut_daily',
  'sge_daily',
] as const satisfies readonly ApiName[];

export interface P0Pages {
  pages: TusharePage[];
  /** Trade dates used, ascending. */
  days: string[];
  rowsByApi: Record<(typeof P0_APIS)[number], number>;
}

/**
 * `rows` raw P0 rows as the Tushare client would page them: whole trade dates of the synthetic
 * market (every P0 endpoint of a day, so the asset mix is the market's own), from `fromDate` on,
 * cut at `rows`, paged as the client pages them (pages.ts).
 */
export function p0Pages(market: SyntheticMarket, rows: number, fromDate: string): P0Pages {
  const result: P0Pages = {
    pages: [],
    days: [],
    rowsByApi: { daily: 0, fund_daily: 0, fut_daily: 0, sge_daily: 0 },
  };
  let total = 0;
  for (const day of market.tradingDays()) {
    if (day < fromDate) continue;
    if (total >= rows) break;
    result.days.push(day);
    for (const apiName of P0_APIS) {
      const params = { trade_date: day };
      const { pages, rows: count } = clientPages(
        apiName,
        params,
        market.query(apiName, params).slice(0, rows - total),
      );
      result.pages.push(...pages);
      result.rowsByApi[apiName] += count;
      total += count;
    }
  }
  if (total < rows) throw new Error(`the synthetic market holds only ${total} P0 rows from ${fromDate}`);
  return result;
}

import { type ApiName, endpoint } from '../contracts/catalog/index.js';
import type { SyntheticMarket } from '../producers/sandbox/synthetic/index.js';
import { toRows } from '../producers/tushare/answer.js';
import { paramsHash } from '../producers/tushare/params-hash.js';
import type { TusharePage } from '../producers/tushare/source.js';

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
 * cut at `rows`. Rows go through the client's own wire-to-catalog mapping (`toRows`).
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
      const spec = endpoint(apiName);
      const params = { trade_date: day };
      const wire = market.query(apiName, params).slice(0, rows - total);
      const columns = spec.fields.map((f) => f.tushareName ?? f.name);
      const mapped = toRows(
        apiName,
        columns,
        wire.map((row) => columns.map((column) => row[column] ?? null)),
      );
      if (!Array.isArray(mapped)) throw new Error(`synthetic ${apiName} rows: ${mapped.problem}`);
      for (let start = 0, page = 0; start < mapped.length; start += spec.rowLimit, page++) {
        result.pages.push({
          apiName,
          params,
          paramsHash: paramsHash(params),
          page,
          offset: start,
          rows: mapped.slice(start, start + spec.rowLimit),
        });
      }
      result.rowsByApi[apiName] += mapped.length;
      total += mapped.length;
    }
  }
  if (total < rows) throw new Error(`the synthetic market holds only ${total} P0 rows from ${fromDate}`);
  return result;
}

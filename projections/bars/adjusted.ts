import type pg from 'pg';
import { isYmd } from '../../contracts/dates.js';
import { ValidationError } from '../../contracts/errors.js';
import type { NormalizedBar } from '../../contracts/normalized/market.js';

/** qfq (前复权): prices of the anchor day kept; hfq (后复权): prices × factor; none: as stored. */
export const ADJUSTMENTS = ['qfq', 'hfq', 'none'] as const;
export type Adjustment = (typeof ADJUSTMENTS)[number];

export interface AdjustedBarsQuery {
  how: Adjustment;
  /** Inclusive YYYYMMDD range; qfq is anchored at each stock's last factor on or before `to`. */
  from: string;
  to: string;
  /** One stock, or every stock when absent. */
  tsCode?: string;
}

export interface AdjustedBar {
  tsCode: string;
  tradeDate: string;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  preClose: number | null;
  change: number | null;
  pctChg: number | null;
  vol: number | null;
  amount: number | null;
  /** The day's stored factor; null while it is not published yet (the prices are then null too). */
  adjFactor: number | null;
  /** What the stored prices were multiplied by. */
  multiplier: number | null;
}

/** A stored bar's columns as the `adjusted_bars` function returns them, with its factor. */
type Row = Pick<
  NormalizedBar,
  | 'ts_code'
  | 'trade_date'
  | 'open'
  | 'high'
  | 'low'
  | 'close'
  | 'pre_close'
  | 'change'
  | 'pct_chg'
  | 'vol'
  | 'amount'
> & { adj_factor: number | null; multiplier: number | null };

export function checkAdjustedBarsQuery(q: AdjustedBarsQuery): void {
  const issues = [];
  if (!ADJUSTMENTS.includes(q.how)) issues.push({ path: 'how', message: `one of ${ADJUSTMENTS.join(', ')}` });
  for (const k of ['from', 'to'] as const)
    if (!isYmd(q[k])) issues.push({ path: k, message: 'expected a date as YYYYMMDD' });
  if (isYmd(q.from) && isYmd(q.to) && q.from > q.to) issues.push({ path: 'from', message: 'after to' });
  if (issues.length > 0) throw new ValidationError('adjusted bars query', issues);
}

/**
 * Adjusted stock bars, read through the store's `adjusted_bars` function (migration 008), which
 * holds the formula once. Dates leave PostgreSQL as YYYYMMDD text.
 */
export async function readAdjustedBars(
  db: Pick<pg.Pool, 'query'>,
  q: AdjustedBarsQuery,
): Promise<AdjustedBar[]> {
  checkAdjustedBarsQuery(q);
  const { rows } = await db.query<Row>(
    `SELECT ts_code, to_char(trade_date, 'YYYYMMDD') AS trade_date, open, high, low, close, pre_close,
            change, pct_chg, vol, amount, adj_factor, multiplier
       FROM adjusted_bars($1, to_date($2, 'YYYYMMDD'), to_date($3, 'YYYYMMDD'), $4)`,
    [q.how, q.from, q.to, q.tsCode ?? null],
  );
  return rows.map((r) => ({
    tsCode: r.ts_code,
    tradeDate: r.trade_date,
    open: r.open,
    high: r.high,
    low: r.low,
    close: r.close,
    preClose: r.pre_close,
    change: r.change,
    pctChg: r.pct_chg,
    vol: r.vol,
    amount: r.amount,
    adjFactor: r.adj_factor,
    multiplier: r.multiplier,
  }));
}

import type { ApiName } from '../../contracts/catalog/index.js';

/** A row as Tushare serves it: keyed by Tushare's own column names (shibor's `1w`, not `w1`). */
export type WireRow = Record<string, string | number | null>;

/**
 * What the sandbox serves: the full, ordered answer to a query before paging. The synthetic market
 * and the recorded-data folder both implement it; the HTTP layer pages, selects fields and injects
 * faults on top, so every dataset gets the protocol for free.
 */
export interface SandboxDataset {
  readonly kind: 'synthetic' | 'recorded';
  /** Rows matching the params (ts_code, trade_date, start_date/end_date, exchange, …), in a stable order. */
  query(apiName: ApiName, params: Readonly<Record<string, string | number>>): WireRow[];
  /** Endpoints this dataset can answer; others get Tushare's "no such api" answer. */
  supports(apiName: ApiName): boolean;
}

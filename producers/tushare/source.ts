import type { ApiName } from '../../contracts/catalog/index.js';

/** Request params as Tushare takes them: strings (dates as YYYYMMDD) and numbers. */
export type TushareParams = Readonly<Record<string, string | number>>;

/** One row, keyed by the catalog's field names (not Tushare's wire names where they differ). */
export type TushareRow = Record<string, string | number | null>;

export interface TusharePage {
  apiName: ApiName;
  params: TushareParams;
  /** sha256 hex of the canonical params (sorted keys), without limit/offset. */
  paramsHash: string;
  /** Zero-based page number; `offset` = page × the endpoint's row limit. */
  page: number;
  offset: number;
  rows: TushareRow[];
}

/** Counters the unified run stats are built from; cumulative over the source's life. */
export interface CallCounters {
  requests: number;
  pages: number;
  retries: number;
  rowsFetched: number;
  /** By error code (`XASSET_TUSHARE_RATE_LIMIT`, …), counting every failed attempt. */
  errorsByClass: Record<string, number>;
  /** Requests by api_name, retries included: the calls each endpoint really cost. */
  requestsByApi?: Record<string, number>;
}

/**
 * The port producers fetch through: the real Tushare Pro API or the sandbox, same protocol. It pages
 * at the endpoint's row limit, rate-limits, retries transient failures and throws `TushareError`
 * subclasses (contracts/errors.ts) for the rest.
 */
export interface TushareSource {
  pages(
    apiName: ApiName,
    params: TushareParams,
    options?: { signal?: AbortSignal },
  ): AsyncIterable<TusharePage>;
  counters(): CallCounters;
}

import type { FlagName } from '../flags.js';

/**
 * Tushare's own column types. `date` is Tushare's `YYYYMMDD` string and `datetime` its
 * `YYYY-MM-DD HH:MM:SS` string; both stay strings in the raw events (raw means as served) and are
 * parsed by the normalizers.
 */
export type TushareType = 'str' | 'float' | 'int' | 'date' | 'datetime';

export interface FieldSpec {
  /** Avro-safe name used everywhere in this project. */
  name: string;
  type: TushareType;
  /** The column as Tushare serves it, where that is not a valid Avro name (shibor's `1w`, …). */
  tushareName?: string;
  /** Our own one-line English note: units and quirks a normalizer must know. */
  doc?: string;
}

export interface ParamSpec {
  name: string;
  type: TushareType;
  required: boolean;
  doc?: string;
}

export type AssetClass =
  | 'stock'
  | 'etf'
  | 'index'
  | 'futures'
  | 'spot'
  | 'fx'
  | 'macro_cn'
  | 'macro_us'
  | 'calendar';

export type Batch = 'p0' | 'p1' | 'p2' | 'module';

/**
 * How the planner slices work for an endpoint:
 * - `trade_date`: one call per trading day returns the whole market (cheapest for daily bars);
 * - `ts_code`: per instrument over a date range (sharded symbol pools);
 * - `period`: macro series by month/quarter ranges;
 * - `date_range`: start_date/end_date windows without a symbol;
 * - `snapshot`: reference data fetched whole (basics, calendars).
 */
export type FetchMode = 'trade_date' | 'ts_code' | 'period' | 'date_range' | 'snapshot';

export type EndpointRole = 'market' | 'reference' | 'macro' | 'minute' | 'realtime' | 'microstructure';

export interface EndpointSpec {
  apiName: string;
  /** Short English title. */
  title: string;
  role: EndpointRole;
  assetClass: AssetClass;
  batch: Batch;
  /**
   * The switch that turns the endpoint on: the batch's master switch, a p2 sub-switch or a recovery
   * module switch. Reference data uses its batch's master switch.
   */
  switch: FlagName;
  params: readonly ParamSpec[];
  fields: readonly FieldSpec[];
  /** Rows returned by one call at most (Tushare's per-call cap); pages are cut at this size. */
  rowLimit: number;
  /** Fields that identify a row; the raw event key and the dedupe key are built from them. */
  naturalKey: readonly string[];
  /** The field that places a row in time (for hypertables and keys); absent for pure reference data. */
  timeField?: string;
  fetchMode: FetchMode;
  /** Needs a separately granted permission beyond points (minute/realtime/premarket data). */
  specialPermission: boolean;
  /** Recovery-module cursor name (DESIGN §3), only for module endpoints. */
  cursor?: string;
}

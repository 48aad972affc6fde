/**
 * The rows the processors write, table by table: the shape of infra/migrations/sql/002 (+005 for
 * fut_wsr, +008 for adj_factor, +009 for P2) as the normalizers, the sink and the normalized topics see it.
 * Bookkeeping columns are not listed: `updated_at` everywhere, `content_hash` where `hashed`, and
 * `source_topic`, `source_partition`, `source_offset` where `sourced`. An integration test compares this file with
 * the migrated database, so the two cannot drift apart silently.
 */
export type ColumnType = 'text' | 'date' | 'timestamptz' | 'double' | 'boolean' | 'jsonb';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface TableSpec {
  name: TableName;
  /** Primary-key columns, in key order; never null. */
  key: readonly ColumnSpec[];
  values: readonly ColumnSpec[];
  /** Has `content_hash`: an unchanged hash is a duplicate and writes nothing. */
  hashed: boolean;
  /** Has `source_topic/partition/offset`: the raw event that last changed the row. */
  sourced: boolean;
  /**
   * An extension table: one row beside a `market_bar` row of this asset class, keyed like it minus
   * `asset_class`. It has no hash of its own; the parent's hash covers its values, and it is written
   * exactly when its parent row is inserted or revised.
   */
  extends?: { table: 'market_bar'; assetClass: 'futures' | 'spot' | 'fx' };
  /**
   * Has a boolean `provisional` column: a provisional row (realtime) is replaced by a final one of
   * the same key (history), which counts as finalized, not as a revision; a provisional row never
   * replaces a final one.
   */
  provisional?: true;
}

export type TableName =
  | 'market_bar'
  | 'minute_bar'
  | 'realtime_quote'
  | 'stk_premarket'
  | 'futures_bar_ext'
  | 'spot_sge_bar_ext'
  | 'fx_bar_ext'
  | 'macro_observation'
  | 'fut_holding'
  | 'fut_wsr'
  | 'daily_basic'
  | 'moneyflow'
  | 'adj_factor'
  | 'instrument'
  | 'trade_calendar'
  | 'suspension';

const col =
  (type: ColumnType, nullable = true) =>
  (name: string): ColumnSpec => ({ name, type, nullable });
const text = col('text');
const dbl = col('double');
const date = col('date');
const keyText = col('text', false);
const keyDate = col('date', false);
const keyTime = col('timestamptz', false);

const doubles = (...names: string[]) => names.map(dbl);

export const TABLES: Readonly<Record<TableName, TableSpec>> = {
  market_bar: {
    name: 'market_bar',
    key: [keyText('asset_class'), keyText('ts_code'), keyDate('trade_date')],
    values: doubles('open', 'high', 'low', 'close', 'pre_close', 'change', 'pct_chg', 'vol', 'amount'),
    hashed: true,
    sourced: true,
  },
  // 009: one row per bar; trade_time is the bar's end as an instant, trade_date the trading day it
  // belongs to (a futures night session's is the next open day).
  minute_bar: {
    name: 'minute_bar',
    key: [keyText('asset_class'), keyText('ts_code'), keyText('freq'), keyTime('trade_time')],
    values: [
      keyDate('trade_date'),
      ...doubles('open', 'high', 'low', 'close', 'vol', 'amount', 'oi'),
      col('boolean', false)('provisional'),
    ],
    hashed: true,
    sourced: true,
    provisional: true,
  },
  // 009: intraday snapshots of a day bar (rt_etf_k, rt_idx_k); never market_bar, whose row of a day
  // is its final bar.
  realtime_quote: {
    name: 'realtime_quote',
    key: [keyText('asset_class'), keyText('ts_code'), keyTime('trade_time')],
    values: [
      keyDate('trade_date'),
      text('name'),
      ...doubles('open', 'high', 'low', 'close', 'pre_close', 'vol', 'amount', 'num'),
      ...doubles('ask_volume1', 'bid_volume1'),
    ],
    hashed: true,
    sourced: true,
  },
  // 009: the pre-market share capital and price limits of a day (special permission).
  stk_premarket: {
    name: 'stk_premarket',
    key: [keyText('ts_code'), keyDate('trade_date')],
    values: doubles('total_share', 'float_share', 'pre_close', 'up_limit', 'down_limit'),
    hashed: true,
    sourced: false,
  },
  futures_bar_ext: {
    name: 'futures_bar_ext',
    key: [keyText('ts_code'), keyDate('trade_date')],
    values: doubles('settle', 'pre_settle', 'change1', 'change2', 'oi', 'oi_chg', 'delv_settle'),
    hashed: false,
    sourced: false,
    extends: { table: 'market_bar', assetClass: 'futures' },
  },
  spot_sge_bar_ext: {
    name: 'spot_sge_bar_ext',
    key: [keyText('ts_code'), keyDate('trade_date')],
    values: [...doubles('price_avg', 'oi', 'settle_vol'), text('settle_dire')],
    hashed: false,
    sourced: false,
    extends: { table: 'market_bar', assetClass: 'spot' },
  },
  fx_bar_ext: {
    name: 'fx_bar_ext',
    key: [keyText('ts_code'), keyDate('trade_date')],
    values: [
      ...doubles('bid_open', 'bid_high', 'bid_low', 'bid_close'),
      ...doubles('ask_open', 'ask_high', 'ask_low', 'ask_close'),
      dbl('tick_qty'),
      text('exchange'),
    ],
    hashed: false,
    sourced: false,
    extends: { table: 'market_bar', assetClass: 'fx' },
  },
  macro_observation: {
    name: 'macro_observation',
    key: [keyText('series'), keyText('period')],
    values: [
      col('date', false)('period_end'),
      dbl('value'),
      col('date', false)('available_date'),
      keyText('source_api'),
    ],
    hashed: true,
    sourced: false,
  },
  fut_holding: {
    name: 'fut_holding',
    key: [keyDate('trade_date'), keyText('symbol'), keyText('broker')],
    values: [
      text('exchange'),
      ...doubles('vol', 'vol_chg', 'long_hld', 'long_chg', 'short_hld', 'short_chg'),
    ],
    hashed: true,
    sourced: false,
  },
  fut_wsr: {
    name: 'fut_wsr',
    // 005 widens the key to the catalog's natural key; the three text parts hold '' when unused.
    key: [
      keyDate('trade_date'),
      keyText('symbol'),
      keyText('warehouse'),
      keyText('year'),
      keyText('grade'),
      keyText('brand'),
    ],
    values: [
      ...['fut_name', 'wh_id', 'area', 'place'].map(text),
      ...doubles('pd', 'pre_vol', 'vol', 'vol_chg'),
      ...['is_ct', 'unit', 'exchange'].map(text),
    ],
    hashed: true,
    sourced: false,
  },
  daily_basic: {
    name: 'daily_basic',
    key: [keyText('ts_code'), keyDate('trade_date')],
    values: doubles(
      'close',
      'turnover_rate',
      'turnover_rate_f',
      'volume_ratio',
      'pe',
      'pe_ttm',
      'pb',
      'ps',
      'ps_ttm',
      'dv_ratio',
      'dv_ttm',
      'total_share',
      'float_share',
      'free_share',
      'total_mv',
      'circ_mv',
    ),
    hashed: true,
    sourced: false,
  },
  moneyflow: {
    name: 'moneyflow',
    key: [keyText('ts_code'), keyDate('trade_date')],
    values: doubles(
      ...['sm', 'md', 'lg', 'elg'].flatMap((size) => [
        `buy_${size}_vol`,
        `buy_${size}_amount`,
        `sell_${size}_vol`,
        `sell_${size}_amount`,
      ]),
      'net_mf_vol',
      'net_mf_amount',
    ),
    hashed: true,
    sourced: false,
  },
  adj_factor: {
    name: 'adj_factor',
    key: [keyText('ts_code'), keyDate('trade_date')],
    values: doubles('adj_factor'),
    hashed: true,
    sourced: false,
  },
  instrument: {
    name: 'instrument',
    key: [keyText('asset_class'), keyText('ts_code')],
    values: [
      text('name'),
      text('exchange'),
      date('list_date'),
      date('delist_date'),
      col('jsonb', false)('attributes'),
    ],
    hashed: true,
    sourced: false,
  },
  trade_calendar: {
    name: 'trade_calendar',
    key: [keyText('exchange'), keyDate('cal_date')],
    values: [col('boolean', false)('is_open'), date('pretrade_date')],
    hashed: false,
    sourced: false,
  },
  suspension: {
    name: 'suspension',
    key: [keyText('ts_code'), keyDate('trade_date'), keyText('suspend_type')],
    values: [text('suspend_timing')],
    hashed: true,
    sourced: false,
  },
};

/** Every column of a table the processors fill, key first, bookkeeping columns excluded. */
export function columnsOf(table: TableName): readonly ColumnSpec[] {
  const spec = TABLES[table];
  return [...spec.key, ...spec.values];
}

/** The extension table of a market asset class, if it has one. */
export function extensionOf(assetClass: string): TableSpec | undefined {
  return Object.values(TABLES).find((t) => t.extends?.assetClass === assetClass);
}

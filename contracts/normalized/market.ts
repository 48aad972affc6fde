import type { AvroField, AvroRecordSchema, AvroType } from '../avro/types.js';
import { ENDPOINTS } from '../catalog/endpoints.js';
import { type ColumnSpec, extensionOf, TABLES } from './tables.js';
import { UNIT_CONVERSIONS } from './units.js';

/**
 * Normalized topics, `market.<asset>.v1`: one record per market_bar row the processors inserted or
 * revised (with its extension columns for futures, spot and FX), for downstream consumers.
 *
 * Delivery is at least once: a record is appended before the database transaction that writes the
 * row commits, so a crash in between appends it again on restart. Consumers dedupe on the key
 * (`<asset>|<ts_code>|<trade_date>`) plus `content_hash`: the same pair twice is the same row.
 * The topics are compacted, so a late consumer still finds the latest row of every key.
 */
export const MARKET_ASSETS = ['stock', 'etf', 'index', 'futures', 'spot', 'fx'] as const;
export type MarketAsset = (typeof MARKET_ASSETS)[number];

export const MARKET_NAMESPACE = 'xasset.market';

export function isMarketAsset(value: string): value is MarketAsset {
  return (MARKET_ASSETS as readonly string[]).includes(value);
}

export function marketTopic(asset: MarketAsset): string {
  return `market.${asset}.v1`;
}

export function marketKey(asset: string, tsCode: string, tradeDate: string): string {
  return `${asset}|${tsCode}|${tradeDate}`;
}

/** A normalized bar as it travels on `market.<asset>.v1`; ext columns are present for their asset only. */
export interface NormalizedBar {
  asset_class: MarketAsset;
  ts_code: string;
  /** `YYYY-MM-DD`. */
  trade_date: string;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  pre_close: number | null;
  change: number | null;
  pct_chg: number | null;
  vol: number | null;
  amount: number | null;
  [extColumn: string]: string | number | boolean | null;
  /** sha256 of the normalized values (hex), as stored in market_bar.content_hash. */
  content_hash: string;
  /** false: the first write of this key; true: changed values replaced an earlier row. */
  revision: boolean;
  source_topic: string;
  source_partition: number;
  source_offset: number;
}

const PASCAL: Record<MarketAsset, string> = {
  stock: 'StockBar',
  etf: 'EtfBar',
  index: 'IndexBar',
  futures: 'FuturesBar',
  spot: 'SpotBar',
  fx: 'FxBar',
};

/** The unit a market asset's vol/amount are written in, from the one unit table. */
function unitDoc(asset: MarketAsset, column: 'vol' | 'amount'): string | undefined {
  const apiNames = ENDPOINTS.filter((e) => e.assetClass === asset && e.role === 'market').map(
    (e) => e.apiName,
  );
  const unit = UNIT_CONVERSIONS.find((u) => u.field === column && (apiNames as string[]).includes(u.apiName));
  return unit ? `${unit.base} (served as ${unit.source}, × ${unit.factor})` : undefined;
}

const COLUMN_DOCS: Record<string, string> = {
  trade_date: 'YYYY-MM-DD',
  pct_chg: 'percent',
};

const FX_DOCS: Record<string, string> = {
  open: 'mid = (bid_open + ask_open) / 2',
  high: 'mean of bid_high and ask_high (the mid series itself is not served)',
  low: 'mean of bid_low and ask_low (the mid series itself is not served)',
  close: 'mid = (bid_close + ask_close) / 2',
  vol: 'not served for FX (always null); see tick_qty',
  amount: 'not served for FX (always null)',
  trade_date: 'YYYY-MM-DD, GMT date as served',
};

function avroField(column: ColumnSpec, doc: string | undefined): AvroField {
  const base: AvroType = column.type === 'double' ? 'double' : 'string';
  const field: AvroField = column.nullable
    ? { name: column.name, type: ['null', base], default: null }
    : { name: column.name, type: base };
  if (doc) field.doc = doc;
  return field;
}

export function marketBarSchema(asset: MarketAsset): AvroRecordSchema {
  const bar = TABLES.market_bar;
  const ext = extensionOf(asset);
  const docOf = (name: string): string | undefined => {
    if (asset === 'fx' && FX_DOCS[name]) return FX_DOCS[name];
    if (name === 'vol' || name === 'amount') return unitDoc(asset, name);
    return COLUMN_DOCS[name];
  };
  return {
    type: 'record',
    name: PASCAL[asset],
    namespace: MARKET_NAMESPACE,
    doc: `A normalized ${asset} daily bar as written to market_bar${ext ? ` and ${ext.name}` : ''}.`,
    fields: [
      ...bar.key.map((c) => avroField(c, docOf(c.name))),
      ...bar.values.map((c) => avroField(c, docOf(c.name))),
      ...(ext?.values ?? []).map((c) => avroField(c, docOf(c.name))),
      { name: 'content_hash', type: 'string', doc: 'sha256 of the normalized values, hex.' },
      { name: 'revision', type: 'boolean', doc: 'true when changed values replaced an earlier row.' },
      { name: 'source_topic', type: 'string' },
      { name: 'source_partition', type: 'int' },
      { name: 'source_offset', type: 'long' },
    ],
  };
}

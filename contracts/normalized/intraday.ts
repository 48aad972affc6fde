import type { AvroField, AvroRecordSchema } from '../avro/types.js';
import { ENDPOINTS } from '../catalog/endpoints.js';
import { type ColumnSpec, TABLES } from './tables.js';
import { UNIT_CONVERSIONS } from './units.js';

/**
 * Normalized intraday topics, beside `market.<asset>.v1`: `market.<asset>.minute.v1` carries every
 * minute_bar row inserted, revised or finalized (provisional false replacing true), and
 * `market.<asset>.realtime.v1` every realtime_quote snapshot. Same delivery as the daily topics: at
 * least once, appended before the commit; consumers dedupe on the key plus content_hash; compacted.
 */
export const MINUTE_ASSETS = ['stock', 'index', 'futures'] as const;
export const REALTIME_ASSETS = ['etf', 'index'] as const;
export type MinuteAsset = (typeof MINUTE_ASSETS)[number];
export type RealtimeAsset = (typeof REALTIME_ASSETS)[number];

export const minuteTopic = (asset: MinuteAsset): string => `market.${asset}.minute.v1`;
export const realtimeTopic = (asset: RealtimeAsset): string => `market.${asset}.realtime.v1`;

export const isMinuteAsset = (value: string): value is MinuteAsset =>
  (MINUTE_ASSETS as readonly string[]).includes(value);
export const isRealtimeAsset = (value: string): value is RealtimeAsset =>
  (REALTIME_ASSETS as readonly string[]).includes(value);

const AVRO_BASE: Record<ColumnSpec['type'], 'double' | 'string' | 'boolean'> = {
  double: 'double',
  boolean: 'boolean',
  text: 'string',
  date: 'string',
  timestamptz: 'string',
  jsonb: 'string',
};

const TYPE_DOCS: Partial<Record<ColumnSpec['type'], string>> = {
  date: 'YYYY-MM-DD',
  timestamptz: 'ISO 8601 instant in China time, e.g. 2023-08-25T09:30:00+08:00',
};

const COLUMN_DOCS: Record<string, string> = {
  trade_time: 'the end of the bar (or the snapshot time), ISO 8601 in China time',
  trade_date: 'YYYY-MM-DD, the trading day the bar belongs to (a futures night session: the next open day)',
  freq: '1min, 5min, 15min, 30min or 60min',
  provisional: 'true for a realtime bar, replaced by the history bar of the same key when it arrives',
};

function unitDoc(table: 'minute_bar' | 'realtime_quote', asset: string, column: string): string | undefined {
  const role = table === 'minute_bar' ? 'minute' : 'realtime';
  const apis = ENDPOINTS.filter((e) => e.assetClass === asset && e.role === role).map(
    (e) => e.apiName as string,
  );
  const unit = UNIT_CONVERSIONS.find((u) => u.field === column && apis.includes(u.apiName));
  return unit ? `${unit.base} (served as ${unit.source})` : undefined;
}

function field(table: 'minute_bar' | 'realtime_quote', asset: string, column: ColumnSpec): AvroField {
  const base = AVRO_BASE[column.type];
  const out: AvroField = column.nullable
    ? { name: column.name, type: ['null', base], default: null }
    : { name: column.name, type: base };
  const doc = COLUMN_DOCS[column.name] ?? unitDoc(table, asset, column.name) ?? TYPE_DOCS[column.type];
  if (doc) out.doc = doc;
  return out;
}

const pascal = (asset: string) => asset.charAt(0).toUpperCase() + asset.slice(1);

function intradaySchema(
  table: 'minute_bar' | 'realtime_quote',
  asset: string,
  name: string,
): AvroRecordSchema {
  const spec = TABLES[table];
  return {
    type: 'record',
    name,
    namespace: 'xasset.market',
    doc: `A normalized ${asset} ${table === 'minute_bar' ? 'minute bar' : 'realtime snapshot'} as written to ${table}.`,
    fields: [
      ...[...spec.key, ...spec.values].map((c) => field(table, asset, c)),
      { name: 'content_hash', type: 'string', doc: 'sha256 of the normalized values, hex.' },
      {
        name: 'revision',
        type: 'boolean',
        doc: 'true when changed values replaced an earlier row (not a finalization).',
      },
      { name: 'source_topic', type: 'string' },
      { name: 'source_partition', type: 'int' },
      { name: 'source_offset', type: 'long' },
    ],
  };
}

export const minuteBarSchema = (asset: MinuteAsset): AvroRecordSchema =>
  intradaySchema('minute_bar', asset, `${pascal(asset)}MinuteBar`);
export const realtimeQuoteSchema = (asset: RealtimeAsset): AvroRecordSchema =>
  intradaySchema('realtime_quote', asset, `${pascal(asset)}RealtimeQuote`);

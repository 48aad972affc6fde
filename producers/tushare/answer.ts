import { endpoint } from '../../contracts/catalog/index.js';
import type { TushareType } from '../../contracts/catalog/types.js';
import type { TushareRow } from './source.js';

/** An answer read off the wire: Tushare's error, or a page of raw items. */
export type Envelope =
  | { ok: false; code: number; msg: string }
  | { ok: true; fields: string[]; items: unknown[][]; hasMore: boolean | undefined };

/** A reason the answer breaks the protocol; the client turns it into a TushareBadResponseError. */
export interface Problem {
  problem: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the `{code, msg, data}` shape without looking at the values of the items. */
export function readEnvelope(body: unknown): Envelope | Problem {
  if (!isRecord(body)) return { problem: 'answer is not a JSON object' };
  const { code, msg, data } = body;
  if (typeof code !== 'number' || !Number.isInteger(code)) return { problem: "'code' is not an integer" };
  if (code !== 0) return { ok: false, code, msg: typeof msg === 'string' ? msg : '' };
  if (!isRecord(data)) return { problem: "'data' is not an object" };
  const { fields, items, has_more: hasMore } = data;
  if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string'))
    return { problem: "'data.fields' is not a list of strings" };
  if (!Array.isArray(items)) return { problem: "'data.items' is not a list" };
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (!Array.isArray(item) || item.length !== fields.length)
      return { problem: `item ${i} is not a list of ${fields.length} values` };
  }
  if (hasMore !== undefined && hasMore !== null && typeof hasMore !== 'boolean')
    return { problem: "'data.has_more' is not a boolean" };
  return { ok: true, fields, items: items as unknown[][], hasMore: hasMore ?? undefined };
}

const EXPECTS: Record<TushareType, 'string' | 'number'> = {
  str: 'string',
  date: 'string',
  datetime: 'string',
  float: 'number',
  int: 'number',
};

/**
 * Maps Tushare's columns to the catalog's field names, typed by the catalog. Columns the catalog
 * lacks are dropped; catalog fields the answer lacks are null, so every row has the raw schema's shape.
 */
export function toRows(
  apiName: string,
  fields: readonly string[],
  items: readonly unknown[][],
): TushareRow[] | Problem {
  const spec = endpoint(apiName);
  const byColumn = new Map(spec.fields.map((f) => [f.tushareName ?? f.name, f]));
  const picks: { index: number; name: string; expects: 'string' | 'number' }[] = [];
  fields.forEach((column, index) => {
    const field = byColumn.get(column);
    if (field !== undefined) picks.push({ index, name: field.name, expects: EXPECTS[field.type] });
  });
  const blank: TushareRow = Object.fromEntries(spec.fields.map((f) => [f.name, null]));
  const rows: TushareRow[] = new Array(items.length);
  for (let r = 0; r < items.length; r++) {
    const item = items[r] as unknown[];
    const row: TushareRow = { ...blank };
    for (const pick of picks) {
      const value = item[pick.index];
      if (value === null || value === undefined) continue;
      if (typeof value !== pick.expects || (pick.expects === 'number' && !Number.isFinite(value)))
        return { problem: `row ${r}: '${pick.name}' is ${typeof value}, expected ${pick.expects} or null` };
      row[pick.name] = value as string | number;
    }
    rows[r] = row;
  }
  return rows;
}

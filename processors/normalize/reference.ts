import { endpoint } from '../../contracts/catalog/index.js';
import { TABLES } from '../../contracts/normalized/tables.js';
import { contentHash } from './hash.js';
import { constant, derive, field, readRow, type Source, tablePlan } from './plan.js';
import type { EndpointNormalizer } from './types.js';
import type { JsonValue } from './values.js';

/** Exchange of an A-share style code from its suffix (fund_basic serves no exchange column). */
const EXCHANGE_OF_SUFFIX: Readonly<Record<string, string>> = { SH: 'SSE', SZ: 'SZSE', BJ: 'BSE' };

/**
 * Reference endpoints → instrument. name, exchange, list_date and delist_date map by name; the
 * overrides are the endpoints that serve them under another name or not at all. Every other
 * non-null field goes into `attributes` (dates ISO, numbers in base units).
 */
const INSTRUMENT_OVERRIDES: Readonly<Record<string, Readonly<Record<string, Source>>>> = {
  stock_basic: {},
  fund_basic: {
    exchange: derive(['ts_code'], (row) => {
      const suffix = row.text('ts_code')?.split('.')[1];
      return (suffix && EXCHANGE_OF_SUFFIX[suffix]) ?? null;
    }),
  },
  // An index's "market" is its publisher venue (SSE, SZSE, CSI, …); exp_date ends its life.
  index_basic: { exchange: field('market'), delist_date: field('exp_date') },
  fut_basic: {},
  // Every sge_basic contract trades on the Shanghai Gold Exchange; ts_name is its name.
  sge_basic: { name: field('ts_name'), exchange: constant('SGE') },
  fx_obasic: {},
};

export const INSTRUMENT_APIS = Object.keys(INSTRUMENT_OVERRIDES);

export function instrumentNormalizer(apiName: string): EndpointNormalizer {
  const spec = endpoint(apiName);
  const base = tablePlan(spec, TABLES.instrument, {
    ...INSTRUMENT_OVERRIDES[apiName],
    asset_class: constant(spec.assetClass),
    attributes: constant({}),
  });
  const rest = spec.fields.map((f) => f.name).filter((name) => !base.consumed.has(name));
  return (row) => {
    const values = readRow(base, row);
    const attributes: Record<string, JsonValue> = {};
    for (const name of rest) {
      const value = row.json(name);
      if (value !== null) attributes[name] = value;
    }
    const full = { ...values, attributes };
    return [
      {
        table: 'instrument',
        values: { ...full, content_hash: contentHash([{ table: 'instrument', values: full }]) },
      },
    ];
  };
}

/** trade_cal → trade_calendar. is_open is served as '1'/'0' text; anything else is poison. */
export function calendarNormalizer(): EndpointNormalizer {
  const plan = tablePlan(endpoint('trade_cal'), TABLES.trade_calendar, {
    is_open: derive(['is_open'], (row) => {
      const flag = row.text('is_open');
      if (flag === null) return null;
      if (flag === '1') return true;
      if (flag === '0') return false;
      return row.fail(`is_open must be '1' or '0', got '${flag.slice(0, 16)}'`, { field: 'is_open' });
    }),
  });
  return (row) => [{ table: 'trade_calendar', values: readRow(plan, row) }];
}

import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../../../contracts/catalog/index.js';
import type { EndpointSpec } from '../../../../contracts/catalog/types.js';
import type { WireRow } from '../../../../producers/sandbox/dataset.js';
import { allowedFreqs } from '../../../../producers/sandbox/filter.js';
import {
  createSyntheticMarket,
  fieldsWithoutGenerator,
} from '../../../../producers/sandbox/synthetic/index.js';

// Small rather than tiny: it has every futures exchange, and fut_basic's multiplier exists only for
// CFFEX's financial futures.
const market = createSyntheticMarket({ seed: 11, size: 'small' });
const specs: readonly EndpointSpec[] = ENDPOINTS;

/** Columns that are null for every instrument of their kind (documented in the README). */
const ALWAYS_NULL = new Set([
  'fund_basic.due_date',
  'fund_basic.duration_year',
  'fund_basic.exp_return',
  'fund_basic.trustee',
  'index_basic.exp_date',
  // The synthetic market suspends whole days only; an intraday window would still leave a bar.
  'suspend_d.suspend_timing',
]);

/** A query a pipeline would make, built from the catalog's params and the market's instruments. */
function sensibleQuery(spec: EndpointSpec): Record<string, string> {
  const params: Record<string, string> = {};
  const codeOf: Record<string, string | undefined> = {
    stock: market.instruments('stock')[0]?.tsCode,
    etf: market.instruments('etf')[0]?.tsCode,
    index: market.instruments('index')[0]?.tsCode,
    futures: market.listedOn('futures', market.today)[0],
  };
  for (const p of spec.params) {
    if (!p.required) continue;
    if (p.name === 'ts_code') params.ts_code = codeOf[spec.assetClass] ?? '';
    else if (p.name === 'freq') params.freq = allowedFreqs(p)[0] ?? '';
    else if (p.name === 'exchange') params.exchange = 'CFFEX';
  }
  // A month of a whole-market endpoint, so rare values (an expiry's delivery settle) appear.
  if (spec.fetchMode === 'trade_date')
    Object.assign(params, { start_date: '20240101', end_date: '20240131' });
  if (spec.apiName === 'stock_basic') params.list_status = 'D';
  return params;
}

const TYPE_CHECK: Record<string, (v: string | number) => boolean> = {
  float: (v) => typeof v === 'number' && Number.isFinite(v),
  int: (v) => typeof v === 'number' && Number.isInteger(v),
  str: (v) => typeof v === 'string',
  date: (v) => typeof v === 'string' && /^\d{8}$/.test(v),
  datetime: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v),
};

describe('every catalog endpoint', () => {
  const answers = new Map<string, WireRow[]>(
    specs.map((spec) => [spec.apiName, market.query(spec.apiName as never, sensibleQuery(spec))]),
  );

  it.each(specs.map((s) => [s.apiName, s] as const))(
    '%s: rows with exactly the catalog columns, typed',
    (apiName, spec) => {
      expect(market.supports(spec.apiName as never)).toBe(true);
      const rows = answers.get(apiName) as WireRow[];
      expect(rows.length).toBeGreaterThan(0);
      const columns = spec.fields.map((f) => f.tushareName ?? f.name);
      const badType: string[] = [];
      const seen = new Set<string>();
      for (const row of rows) {
        expect(Object.keys(row)).toEqual(columns);
        for (const f of spec.fields) {
          const v = row[f.tushareName ?? f.name];
          if (v === null || v === undefined) continue;
          seen.add(f.name);
          if (!(TYPE_CHECK[f.type] as (v: string | number) => boolean)(v))
            badType.push(`${f.name}=${JSON.stringify(v)}`);
        }
      }
      expect(badType.slice(0, 10)).toEqual([]);
      const neverFilled = spec.fields
        .map((f) => f.name)
        .filter((n) => !seen.has(n) && !ALWAYS_NULL.has(`${apiName}.${n}`));
      expect(neverFilled).toEqual([]);
      // The natural key identifies a row.
      const keys = rows.map((r) =>
        spec.naturalKey.map((k) => r[spec.fields.find((f) => f.name === k)?.tushareName ?? k]).join('|'),
      );
      expect(new Set(keys).size).toBe(keys.length);
    },
  );

  it('has a generator for every catalog field', () => {
    expect(fieldsWithoutGenerator()).toEqual([]);
  });
});

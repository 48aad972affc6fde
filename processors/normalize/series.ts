import { endpoint } from '../../contracts/catalog/index.js';
import { TABLES, type TableName } from '../../contracts/normalized/tables.js';
import { contentHash } from './hash.js';
import { derive, readRow, type Source, tablePlan } from './plan.js';
import type { EndpointNormalizer } from './types.js';

/**
 * fut_wsr lists one warehouse several times (per year, grade and brand), so those belong to its key
 * (migration 005). Exchanges that do not use them serve null; the key stores '' for "not used".
 */
const notUsedIsEmpty = (name: string): Source => derive([name], (row) => row.text(name) ?? '');

/** Endpoints whose rows map one to one, by column name, onto a table of the same name. */
const SERIES: Readonly<Record<string, { table: TableName; overrides?: Readonly<Record<string, Source>> }>> = {
  daily_basic: { table: 'daily_basic' },
  moneyflow: { table: 'moneyflow' },
  adj_factor: { table: 'adj_factor' },
  fut_holding: { table: 'fut_holding' },
  stk_premarket: { table: 'stk_premarket' },
  suspend_d: { table: 'suspension' },
  fut_wsr: {
    table: 'fut_wsr',
    overrides: {
      year: notUsedIsEmpty('year'),
      grade: notUsedIsEmpty('grade'),
      brand: notUsedIsEmpty('brand'),
    },
  },
};

export const SERIES_APIS = Object.keys(SERIES);

export function seriesNormalizer(apiName: string): EndpointNormalizer {
  const entry = SERIES[apiName];
  if (!entry) throw new Error(`${apiName} is not a one-table series endpoint`);
  const plan = tablePlan(endpoint(apiName), TABLES[entry.table], entry.overrides);
  return (row) => {
    const values = readRow(plan, row);
    return [
      {
        table: entry.table,
        values: { ...values, content_hash: contentHash([{ table: entry.table, values }]) },
      },
    ];
  };
}

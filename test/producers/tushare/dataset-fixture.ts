import { type ApiName, endpoint } from '../../../contracts/catalog/index.js';
import type { TushareType } from '../../../contracts/catalog/types.js';
import type { SandboxDataset, WireRow } from '../../../producers/sandbox/dataset.js';

/**
 * Rows for any endpoint, built from its catalog fields and keyed by Tushare's wire names: distinct
 * natural keys (the row number is in every string column), prices with low ≤ open < close = high.
 */
export function wireRows(apiName: ApiName, n: number): WireRow[] {
  const spec = endpoint(apiName);
  const cell = (name: string, type: TushareType, i: number): string | number => {
    switch (type) {
      case 'date':
        return `2024${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}`;
      case 'datetime':
        return `2024-01-02 ${String(9 + (i % 6)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`;
      case 'int':
        return 1000 + i;
      case 'float':
        return Math.round((1 + (i % 97) / 10) * 100) / 100;
      default:
        return name === 'ts_code' ? `${String(i).padStart(6, '0')}.SZ` : `${name}-${i}`;
    }
  };
  return Array.from({ length: n }, (_, i) => {
    const row: WireRow = {};
    for (const field of spec.fields) row[field.tushareName ?? field.name] = cell(field.name, field.type, i);
    if ('close' in row) {
      const open = 10 + (i % 50) / 10;
      Object.assign(row, { open, close: open + 0.05, high: open + 0.05, low: open - 0.1 });
    }
    return row;
  });
}

/** A dataset of fixed tables: filters are equality on a column of the same name, others are ignored. */
export class FixtureDataset implements SandboxDataset {
  readonly kind = 'synthetic' as const;
  readonly queries: { apiName: ApiName; params: Readonly<Record<string, string | number>> }[] = [];
  constructor(private readonly tables: Partial<Record<ApiName, WireRow[]>>) {}

  supports(apiName: ApiName): boolean {
    return this.tables[apiName] !== undefined;
  }

  query(apiName: ApiName, params: Readonly<Record<string, string | number>>): WireRow[] {
    this.queries.push({ apiName, params });
    const rows = this.tables[apiName] ?? [];
    const filters = Object.entries(params).filter(([key]) => rows[0] !== undefined && key in rows[0]);
    return rows.filter((row) => filters.every(([key, value]) => String(row[key]) === String(value)));
  }
}

import { describe, expect, it } from 'vitest';
import { keyOf, planBatch, type SourcedRows } from '../../processors/batch.js';
import { normalize } from '../../processors/normalize/index.js';
import { dailyFields, futFields, rawRecord } from './raw-fixtures.js';

function record(
  apiName: string,
  fields: Record<string, unknown>,
  offset: number,
  partition = 0,
): SourcedRows {
  const result = normalize(apiName, rawRecord(apiName, fields));
  if (!result.ok) throw result.error;
  return { source: { topic: `tushare.raw.${apiName}`, partition, offset }, rows: result.rows };
}

const A = dailyFields(1, 0);
const A2 = dailyFields(1, 0, 0.5); // same key as A, other content
const B = dailyFields(2, 0);

describe('planBatch', () => {
  it('keeps one row per key, the last by offset, whatever order the records come in', () => {
    const plan = planBatch([record('daily', A2, 7), record('daily', B, 5), record('daily', A, 3)]);
    const bars = plan.byTable.get('market_bar') ?? [];
    expect(bars).toHaveLength(2);
    const a = bars.find((r) => r.values.ts_code === A.ts_code);
    expect(a?.values.close).toBe(A2.close);
    expect(a?.source.offset).toBe(7);
    expect(plan.superseded).toBe(1);
  });

  it('keeps the first offset of the final run of identical content, and forces a row that changed within the batch', () => {
    const settled = planBatch([record('daily', A, 1), record('daily', A, 2), record('daily', A, 3)]);
    expect(settled.byTable.get('market_bar')?.[0]).toMatchObject({ source: { offset: 1 }, force: false });
    expect(settled.superseded).toBe(2);

    const changed = planBatch([record('daily', A, 1), record('daily', A2, 2), record('daily', A2, 3)]);
    expect(changed.byTable.get('market_bar')?.[0]).toMatchObject({ source: { offset: 2 }, force: true });

    const back = planBatch([record('daily', A, 1), record('daily', A2, 2), record('daily', A, 3)]);
    expect(back.byTable.get('market_bar')?.[0]).toMatchObject({ source: { offset: 3 }, force: true });
    expect(back.byTable.get('market_bar')?.[0]?.values.close).toBe(A.close);
  });

  it('never forces rows of tables without source columns', () => {
    const cal = (isOpen: string, offset: number) =>
      record('trade_cal', { exchange: 'SSE', cal_date: '20240102', is_open: isOpen }, offset);
    const plan = planBatch([cal('1', 1), cal('0', 2), cal('1', 3)]);
    expect(plan.byTable.get('trade_calendar')).toEqual([expect.objectContaining({ force: false })]);
    expect(plan.byTable.get('trade_calendar')?.[0]?.values.is_open).toBe(true);
  });

  it('carries extension rows with their bar and replaces both together', () => {
    const first = futFields(0, 0);
    const second = { ...first, settle: 1 };
    const plan = planBatch([record('fut_daily', first, 1), record('fut_daily', second, 2)]);
    const [bar] = plan.byTable.get('market_bar') ?? [];
    expect(plan.byTable.has('futures_bar_ext')).toBe(false);
    expect(bar?.dependents).toHaveLength(1);
    expect(bar?.dependents[0]).toMatchObject({ table: 'futures_bar_ext', values: { settle: 1 } });
  });

  it('collapses thousands of records, any order, to the last row per key', () => {
    const records: SourcedRows[] = [];
    for (let offset = 0; offset < 6_000; offset++)
      records.push(record('daily', dailyFields(offset % 500, 0, offset), offset));
    const shuffled = Array.from(
      { length: records.length },
      (_, i) => records[(i * 2_741) % records.length] as SourcedRows,
    );
    const plan = planBatch(shuffled);
    const bars = plan.byTable.get('market_bar') ?? [];
    expect(bars).toHaveLength(500);
    expect(plan.superseded).toBe(5_500);
    for (const bar of bars) {
      const stock = Number(String(bar.values.ts_code).slice(0, 6)) - 600000;
      expect(bar.source.offset).toBe(5_500 + stock);
      expect(bar.values.close).toBe(dailyFields(stock, 0, 5_500 + stock).close);
    }
  });

  it('builds keys from the key columns only', () => {
    const [bar] = record('daily', A, 0).rows;
    expect(keyOf('market_bar', bar?.values ?? {})).toBe(JSON.stringify(['stock', A.ts_code, '2024-01-01']));
  });
});

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

  it('keeps the final minute bar of a key over provisional ones of the same batch, whichever topic sorts first, unforced', () => {
    const bar = (api: string, close: number) => ({
      ts_code: '600999.SH',
      [api.startsWith('rt_') ? 'time' : 'trade_time']: '2024-03-11 09:31:00',
      open: 10,
      high: 10.2,
      low: 9.9,
      close,
      vol: 1200,
      amount: 12_100,
    });
    const only = (records: SourcedRows[]) => {
      const plan = planBatch(records);
      const rows = plan.byTable.get('minute_bar') ?? [];
      expect(rows).toHaveLength(1);
      return { row: rows[0], superseded: plan.superseded };
    };
    // tushare.raw.rt_min sorts before tushare.raw.stk_mins: the history bar comes last.
    expect(
      only([record('stk_mins', bar('stk_mins', 10.1), 5), record('rt_min', bar('rt_min', 10.1), 9)]),
    ).toEqual({
      row: expect.objectContaining({
        values: expect.objectContaining({ provisional: false }),
        source: { topic: 'tushare.raw.stk_mins', partition: 0, offset: 5 },
        force: false,
      }),
      superseded: 1,
    });
    // tushare.raw.idx_mins sorts before tushare.raw.rt_idx_min: the realtime bar comes last, and is dropped.
    const index = (api: string) => ({ ...bar(api, 10.1), ts_code: '000999.SH' });
    expect(
      only([record('rt_idx_min', index('rt_idx_min'), 1), record('idx_mins', index('idx_mins'), 7)]),
    ).toEqual({
      row: expect.objectContaining({
        values: expect.objectContaining({ provisional: false }),
        source: { topic: 'tushare.raw.idx_mins', partition: 0, offset: 7 },
        force: false,
      }),
      superseded: 1,
    });
    // Two realtime bars that differ, then history: the realtime pair forces, the history bar does not.
    const realtimes = [record('rt_min', bar('rt_min', 10), 1), record('rt_min', bar('rt_min', 10.1), 2)];
    expect(only(realtimes).row).toMatchObject({ values: { provisional: true }, force: true });
    expect(only([...realtimes, record('stk_mins', bar('stk_mins', 10.1), 3)]).row).toMatchObject({
      values: { provisional: false, close: 10.1 },
      force: false,
    });
    // Two history bars that differ stay forced, the realtime bar sorted after them dropped.
    const histories = [
      record('idx_mins', { ...index('idx_mins'), close: 10 }, 1),
      record('idx_mins', index('idx_mins'), 2),
      record('rt_idx_min', { ...index('rt_idx_min'), close: 10 }, 3),
    ];
    expect(only(histories)).toMatchObject({
      row: { values: { provisional: false, close: 10.1 }, source: { offset: 2 }, force: true },
      superseded: 2,
    });
  });

  it('builds keys from the key columns only', () => {
    const [bar] = record('daily', A, 0).rows;
    expect(keyOf('market_bar', bar?.values ?? {})).toBe(JSON.stringify(['stock', A.ts_code, '2024-01-01']));
  });
});

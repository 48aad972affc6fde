import { describe, expect, it } from 'vitest';
import { planBatch, type SourcedRows } from '../../processors/batch.js';
import { normalize } from '../../processors/normalize/index.js';
import { revisionsByDay } from '../../processors/publication.js';
import type { Change } from '../../processors/sink/pg-sink.js';
import { dailyFields, rawRecord } from './raw-fixtures.js';

function record(fields: Record<string, unknown>, offset: number): SourcedRows {
  const result = normalize('daily', rawRecord('daily', fields));
  if (!result.ok) throw result.error;
  return { source: { topic: 'x.tushare.raw.daily', partition: 0, offset }, rows: result.rows };
}

describe('revisionsByDay', () => {
  const a = dailyFields(1, 0);
  const b = dailyFields(2, 0);
  const c = dailyFields(3, 0);
  const plan = planBatch([record(a, 1), record(b, 2), record(c, 3)]);
  const bars = plan.byTable.get('market_bar') ?? [];
  const [ka, kb, kc] = bars.map((r) => r.key) as [string, string, string];
  const apiOf = new Map([['x.tushare.raw.daily', 'daily']]);

  it('counts the revised rows of each endpoint and day, not the inserted ones', () => {
    const changed = new Map([
      [
        'market_bar' as const,
        new Map([
          [ka, false],
          [kb, true],
          [kc, false],
        ]),
      ],
    ]);
    const predicted = new Map<'market_bar', Map<string, Change>>([
      [
        'market_bar',
        new Map<string, Change>([
          [ka, 'revision'],
          [kb, 'insert'],
          [kc, 'revision'],
        ]),
      ],
    ]);
    const days = revisionsByDay(plan, changed, predicted, apiOf);
    expect(days).toEqual([{ apiName: 'daily', tradeDate: bars[0]?.values.trade_date, revisions: 2 }]);
  });

  it('leaves out a provisional row made final and rows of a topic it does not know', () => {
    const changed = new Map([['market_bar' as const, new Map([[ka, false]])]]);
    const finalized = new Map<'market_bar', Map<string, Change>>([
      ['market_bar', new Map<string, Change>([[ka, 'finalize']])],
    ]);
    expect(revisionsByDay(plan, changed, finalized, apiOf)).toEqual([]);
    expect(revisionsByDay(plan, changed, new Map(), new Map())).toEqual([]);
  });
});

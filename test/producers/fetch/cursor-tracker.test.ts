import { describe, expect, it } from 'vitest';
import { CursorTracker } from '../../../producers/fetch/cursor-tracker.js';
import type { FetchTask } from '../../../producers/fetch/planner.js';

const day = (
  api: 'daily' | 'fut_daily' | 'stock_basic' | 'suspend_d',
  value: string,
  extra = {},
): FetchTask => ({
  apiName: api,
  params: api === 'stock_basic' ? { ...extra } : { trade_date: value, ...extra },
  cursor: { name: `fetch.${api}`, value },
});

describe('CursorTracker', () => {
  it('moves a cursor to each day as its task completes in order, from the current value', () => {
    const tasks = [day('daily', '20260105'), day('daily', '20260106'), day('daily', '20260108')];
    const tracker = new CursorTracker(tasks, { 'fetch.daily': '20260102' });
    expect(tracker.complete(0, 10)).toEqual([
      { cursor: 'fetch.daily', value: '20260105', previous: '20260102' },
    ]);
    expect(tracker.complete(1, 10)).toEqual([
      { cursor: 'fetch.daily', value: '20260106', previous: '20260105' },
    ]);
    expect(tracker.complete(2, 10)).toEqual([
      { cursor: 'fetch.daily', value: '20260108', previous: '20260106' },
    ]);
    expect(tracker.holds()).toEqual([]);
  });

  it('never skips an unfinished earlier day: a later day done first waits, then both move at once', () => {
    const tasks = [day('daily', '20260105'), day('daily', '20260106'), day('daily', '20260107')];
    const tracker = new CursorTracker(tasks, {});
    expect(tracker.complete(2, 5)).toEqual([]);
    expect(tracker.complete(1, 5)).toEqual([]);
    expect(tracker.holds()).toEqual([{ cursor: 'fetch.daily', value: '20260105', reason: 'not_done' }]);
    expect(tracker.complete(0, 5)).toEqual([{ cursor: 'fetch.daily', value: '20260107', previous: null }]);
  });

  it('holds a cursor before a failed day for the rest of the run', () => {
    const tasks = [day('daily', '20260105'), day('daily', '20260106'), day('daily', '20260107')];
    const tracker = new CursorTracker(tasks, {});
    expect(tracker.complete(0, 1)).toHaveLength(1);
    tracker.fail(1);
    expect(tracker.complete(2, 1)).toEqual([]);
    expect(tracker.holds()).toEqual([{ cursor: 'fetch.daily', value: '20260106', reason: 'failed' }]);
  });

  it('moves past a day only when every slice of it is done', () => {
    const tasks = ['CFFEX', 'DCE', 'SHFE'].map((exchange) => day('fut_daily', '20260105', { exchange }));
    const tracker = new CursorTracker(tasks, {});
    expect(tracker.complete(0, 3)).toEqual([]);
    expect(tracker.complete(2, 0)).toEqual([]);
    expect(tracker.complete(1, 0)).toEqual([
      { cursor: 'fetch.fut_daily', value: '20260105', previous: null },
    ]);
  });

  it('does not pass a market day that came back empty (not published yet), but passes an empty snapshot', () => {
    const tracker = new CursorTracker(
      [day('daily', '20260105'), day('daily', '20260106'), day('stock_basic', '20260106')],
      {},
    );
    expect(tracker.complete(0, 0)).toEqual([]);
    expect(tracker.complete(1, 7)).toEqual([]);
    expect(tracker.complete(2, 0)).toEqual([
      { cursor: 'fetch.stock_basic', value: '20260106', previous: null },
    ]);
    expect(tracker.holds()).toEqual([{ cursor: 'fetch.daily', value: '20260105', reason: 'empty' }]);
  });

  it('passes a dated reference day that came back empty: a day without suspensions is complete', () => {
    const tracker = new CursorTracker([day('suspend_d', '20260105'), day('suspend_d', '20260106')], {});
    expect(tracker.complete(0, 0)).toEqual([
      { cursor: 'fetch.suspend_d', value: '20260105', previous: null },
    ]);
    expect(tracker.complete(1, 3)).toEqual([
      { cursor: 'fetch.suspend_d', value: '20260106', previous: '20260105' },
    ]);
    expect(tracker.holds()).toEqual([]);
  });

  it('only moves forward: re-fetched days behind the cursor emit nothing', () => {
    const tasks = [day('daily', '20260105'), day('daily', '20260106')];
    const tracker = new CursorTracker(tasks, { 'fetch.daily': '20260106' });
    expect(tracker.complete(0, 1)).toEqual([]);
    expect(tracker.complete(1, 1)).toEqual([]);
  });

  it('ignores tasks without a cursor', () => {
    const tracker = new CursorTracker([{ apiName: 'rt_min', params: { freq: '1MIN', ts_code: 'x' } }], {});
    expect(tracker.complete(0, 3)).toEqual([]);
    expect(tracker.holds()).toEqual([]);
  });
});

describe('CursorTracker with windows of different lengths on one cursor', () => {
  const minute = (code: string, from: string, value: string): FetchTask => ({
    apiName: 'ft_mins',
    params: { ts_code: code, freq: '1min' },
    cursor: { name: 'fetch.ft_mins', value, from },
  });
  // A SHFE contract in 17-day windows and a DCE one in 23-day windows over the same days.
  const tasks = [
    minute('CU2406.SHF', '20240102', '20240125'),
    minute('M2409.DCE', '20240102', '20240202'),
    minute('CU2406.SHF', '20240126', '20240229'),
  ];

  it('does not pass a day a longer window of another code still has to fetch', () => {
    const tracker = new CursorTracker(tasks, {});
    expect(tracker.complete(0, 100)).toEqual([]);
    expect(tracker.holds()).toEqual([{ cursor: 'fetch.ft_mins', value: '20240125', reason: 'not_done' }]);
    // The DCE window covers both days: the cursor reaches the first, the second waits for CU's next window.
    expect(tracker.complete(1, 100)).toEqual([
      { cursor: 'fetch.ft_mins', value: '20240125', previous: null },
    ]);
    expect(tracker.complete(2, 100)).toEqual([
      { cursor: 'fetch.ft_mins', value: '20240229', previous: '20240125' },
    ]);
  });

  it('holds the cursor for the rest of the run before a failed longer window', () => {
    const tracker = new CursorTracker(tasks, {});
    tracker.fail(1);
    expect(tracker.complete(0, 100)).toEqual([]);
    expect(tracker.complete(2, 100)).toEqual([]);
    expect(tracker.holds()).toEqual([{ cursor: 'fetch.ft_mins', value: '20240125', reason: 'failed' }]);
  });
});

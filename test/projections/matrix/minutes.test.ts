import { describe, expect, it } from 'vitest';
import { grayMembers } from '../../../contracts/gray.js';
import { barsPerDay, FUTURES_SESSIONS, sessionsOf } from '../../../contracts/sessions.js';
import { endOfTradeDate } from '../../../projections/matrix/as-of.js';
import { classifyCell } from '../../../projections/matrix/cell.js';
import { barsByExchange, expectedBars, grayDay, grayPoolOf } from '../../../projections/matrix/minutes.js';
import type { GrayHistoryEntry } from '../../../projections/reducers/gray.js';

const EQUITY = 'p2RealtimeEquityEtfV1';
const INDEX = 'p2RealtimeIndexV1';

/** A stage change of `module` at `hour` China time on `ymd`. */
function change(
  offset: number,
  module: string,
  stage: GrayHistoryEntry['stage'],
  ymd: string,
  hour = 10,
  extra: Partial<GrayHistoryEntry> = {},
): GrayHistoryEntry {
  const at = endOfTradeDate(ymd) + 1 - (24 - hour) * 3_600_000;
  return { offset, module, stage, share: 0, allowList: [], at, ...extra };
}

describe('expected minute bars per instrument-day', () => {
  it('are 241 one-minute bars of a stock or index day: the auction bar and two sessions', () => {
    expect(expectedBars('stock', 'SSE', '1min')).toBe(241);
    expect(expectedBars('index', null, '1min')).toBe(241);
    // The recorded 600000.SH day of 2023-08-25 has 49 five-minute bars.
    expect(expectedBars('stock', null, '5MIN')).toBe(49);
  });

  it("count a futures exchange's night session in the day it belongs to", () => {
    // SHFE: 4 night hours + 75 + 60 + 90 day minutes; DCE a 2-hour night; GFEX and CFFEX none.
    expect(expectedBars('futures', 'SHFE', '1min')).toBe(240 + 75 + 60 + 90);
    expect(expectedBars('futures', 'DCE', '1min')).toBe(120 + 75 + 60 + 90);
    expect(expectedBars('futures', 'GFEX', '1min')).toBe(75 + 60 + 90);
    expect(expectedBars('futures', 'CFFEX', '1min')).toBe(240);
    // A session's last bar may be shorter: 75 minutes cut at 15 are 5 bars, 60 at 60 one.
    expect(expectedBars('futures', 'GFEX', '60min')).toBe(2 + 1 + 2);
  });

  it('are unknown for an exchange without sessions or a frequency Tushare does not serve', () => {
    expect(expectedBars('futures', 'NYMEX', '1min')).toBeNull();
    expect(expectedBars('futures', null, '1min')).toBeNull();
    expect(expectedBars('stock', null, '2min')).toBeNull();
    expect(expectedBars('fx', null, '1min')).toBeNull();
  });

  it('are listed per exchange for futures and once for any exchange otherwise, from the sessions', () => {
    expect(barsByExchange('futures', '1min')).toEqual(
      Object.entries(FUTURES_SESSIONS).map(([exchange, sessions]) => ({
        exchange,
        bars: barsPerDay(sessions, 1),
      })),
    );
    expect(barsByExchange('stock', '1min')).toEqual([
      { exchange: null, bars: barsPerDay(sessionsOf('stock') ?? [], 1) },
    ]);
    expect(barsByExchange('stock', 'daily')).toEqual([]);
  });
});

describe("a minute module's day and its gray stage", () => {
  it('is judged by the stage in force at the end of the trade date', () => {
    const history = [
      change(1, EQUITY, 'canary', '20240102'),
      change(2, EQUITY, 'share:50', '20240105'),
      change(3, EQUITY, 'full', '20240110', 23),
    ];
    expect(grayDay(history, EQUITY, '20240104')).toMatchObject({
      fetches: true,
      stage: 'canary',
      rule: 'in_force',
    });
    expect(grayDay(history, EQUITY, '20240105')).toMatchObject({ stage: 'share:50', rule: 'in_force' });
    // A change late in the evening (after 16:00 UTC is the next China day) still counts for its own date.
    expect(grayDay(history, EQUITY, '20240110')).toMatchObject({ stage: 'full' });
    expect(grayDay(history, EQUITY, '20240109')).toMatchObject({ stage: 'share:50' });
  });

  it('judges the history before the first fetching stage by that stage: its first run backfilled it', () => {
    const history = [
      change(1, EQUITY, 'probe', '20240105'),
      change(2, INDEX, 'full', '20240101'),
      change(3, EQUITY, 'canary', '20240108'),
    ];
    for (const day of ['20231229', '20240105']) {
      expect(grayDay(history, EQUITY, day)).toMatchObject({
        fetches: true,
        stage: 'canary',
        rule: 'backfill',
      });
    }
    expect(grayDay(history, EQUITY, '20240108')).toMatchObject({ stage: 'canary', rule: 'in_force' });
  });

  it('fetches nothing before a gray release starts, at probe, or after a rollback to probe', () => {
    expect(grayDay([], EQUITY, '20240102')).toEqual({
      fetches: false,
      stage: null,
      reason: 'gray release not started',
    });
    const probing = [change(1, EQUITY, 'probe', '20240102')];
    expect(grayDay(probing, EQUITY, '20240101')).toEqual({
      fetches: false,
      stage: null,
      reason: 'gray release not started',
    });
    expect(grayDay(probing, EQUITY, '20240103')).toEqual({
      fetches: false,
      stage: 'probe',
      reason: 'gray stage probe: nothing is fetched',
    });
    const rolledBack = [change(1, EQUITY, 'canary', '20240102'), change(2, EQUITY, 'probe', '20240104')];
    expect(grayDay(rolledBack, EQUITY, '20240103')).toMatchObject({ fetches: true, stage: 'canary' });
    expect(grayDay(rolledBack, EQUITY, '20240105')).toMatchObject({ fetches: false, stage: 'probe' });
    // Another module's stages are not this one's.
    expect(grayDay(rolledBack, INDEX, '20240103')).toMatchObject({ fetches: false, stage: null });
  });

  it('draws the pool the stage recorded: its share, or its allow-list, as the daily job draws it', () => {
    const pool = Array.from({ length: 200 }, (_, i) => `${String(600000 + i)}.SH`);
    const share = change(1, EQUITY, 'canary', '20240102', 10, { share: 0.1 });
    const drawn = grayPoolOf(EQUITY, share, pool);
    expect(drawn).toEqual(grayMembers(EQUITY, 'canary', pool, { canaryShare: 0.1 }));
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.length).toBeLessThan(60);
    const listed = change(2, EQUITY, 'canary', '20240102', 10, { allowList: ['600003.SH', '000001.SZ'] });
    expect(grayPoolOf(EQUITY, listed, pool)).toEqual(['600003.SH']);
    expect(grayPoolOf(EQUITY, change(3, EQUITY, 'full', '20240102'), pool)).toEqual(pool);
    const half = grayPoolOf(EQUITY, change(4, EQUITY, 'share:50', '20240102'), pool);
    expect(half.length).toBeGreaterThan(drawn.length);
    expect(drawn.every((code) => half.includes(code))).toBe(true);
  });
});

describe('a minute cell', () => {
  const facts = { switch: 'on' as const, open: true, expected: 482, got: 482 };
  it('is complete, partial or missing by bars', () => {
    expect(classifyCell(facts)).toEqual({ status: 'complete', coverage: 1 });
    expect(classifyCell({ ...facts, got: 241 })).toEqual({ status: 'partial', coverage: 0.5 });
    expect(classifyCell({ ...facts, got: 0 })).toEqual({ status: 'missing', coverage: 0 });
  });

  it('does not apply when its stage fetched nothing or the instrument is outside the pool', () => {
    expect(classifyCell({ ...facts, grayClosed: 'gray stage probe: nothing is fetched' })).toEqual({
      status: 'not_applicable',
      coverage: null,
      reason: 'gray stage probe: nothing is fetched',
    });
    expect(
      classifyCell({ ...facts, listing: 'listed', grayPool: { member: false, stage: 'canary' } }),
    ).toMatchObject({ status: 'not_applicable', reason: 'not in the gray pool at stage canary' });
    // The market's closure and the switches come first, as for daily cells.
    expect(classifyCell({ ...facts, open: false, grayClosed: 'gray release not started' }).reason).toBe(
      'market closed',
    );
    expect(classifyCell({ ...facts, switch: 'phase', grayClosed: 'gray release not started' }).reason).toBe(
      'phase',
    );
    expect(
      classifyCell({
        ...facts,
        listing: 'listed',
        suspended: true,
        grayPool: { member: false, stage: 'canary' },
      }).reason,
    ).toBe('suspended');
  });
});

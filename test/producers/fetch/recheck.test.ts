import { describe, expect, it } from 'vitest';
import { earliestRecheck, recheckDays } from '../../../producers/fetch/recheck.js';

const OPEN = ['20260105', '20260106', '20260108', '20260109', '20260112', '20260113'];

describe('recheckDays', () => {
  const cursors = { 'fetch.daily': '20260112', 'fetch.fund_daily': '20260109' };

  it('takes the last n open days at or before each cursor', () => {
    expect(
      recheckDays({ endpoints: ['daily', 'fund_daily'], cursors, openDates: OPEN, windowDays: 3 }),
    ).toEqual({
      daily: ['20260108', '20260109', '20260112'],
      fund_daily: ['20260106', '20260108', '20260109'],
    });
  });

  it('adds the partial days the cursor passed, and leaves later ones to the run itself', () => {
    const partial = { daily: ['20260105', '20260113'] };
    expect(recheckDays({ endpoints: ['daily'], cursors, openDates: OPEN, windowDays: 1, partial })).toEqual({
      daily: ['20260105', '20260112'],
    });
    expect(recheckDays({ endpoints: ['daily'], cursors, openDates: OPEN, windowDays: 0, partial })).toEqual({
      daily: ['20260105'],
    });
  });

  it('re-checks nothing for an endpoint never fetched, nor for one not fetched per trade date', () => {
    expect(
      recheckDays({
        endpoints: ['sge_daily', 'fx_daily', 'shibor'],
        cursors,
        openDates: OPEN,
        windowDays: 3,
      }),
    ).toEqual({});
  });

  it('names the earliest day re-checked, so the run range starts there', () => {
    expect(earliestRecheck({ daily: ['20260108', '20260112'], fund_daily: ['20260106'] })).toBe('20260106');
    expect(earliestRecheck({})).toBeUndefined();
  });
});

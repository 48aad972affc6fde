import { describe, expect, it } from 'vitest';
import {
  calendarAhead,
  chinaInstant,
  equitySession,
  followStep,
  formatChinaTime,
} from '../../../producers/fetch/realtime.js';

/** Wednesday 2 and Thursday 3 December 2026 open; the weekend closed; Monday 7 open. */
const OPEN = ['20261202', '20261203', '20261204', '20261207'];
const at = (iso: string) => Date.parse(iso);

describe('equitySession', () => {
  it('maps China minutes of the day to instants (UTC+8)', () => {
    expect(new Date(chinaInstant('20261202', 570)).toISOString()).toBe('2026-12-02T01:30:00.000Z');
    expect(formatChinaTime(chinaInstant('20261202', 900))).toBe('2026-12-02 15:00 China time');
  });

  it('is open in the morning and afternoon sessions of an open day, with the day closing at 15:00', () => {
    const morning = equitySession(at('2026-12-02T10:00:00+08:00'), OPEN);
    expect(morning).toEqual({
      open: true,
      tradeDate: '20261202',
      pausesAt: at('2026-12-02T11:30:00+08:00'),
      closesAt: at('2026-12-02T15:00:00+08:00'),
    });
    // The 09:30 auction bar covers 09:29–09:30, as the sessions table has it.
    expect(equitySession(at('2026-12-02T09:29:00+08:00'), OPEN).open).toBe(true);
    const afternoon = equitySession(at('2026-12-02T14:59:59+08:00'), OPEN);
    expect(afternoon).toMatchObject({ open: true, pausesAt: at('2026-12-02T15:00:00+08:00') });
  });

  it('is closed before the open, over lunch and from 15:00, and says when it opens next', () => {
    expect(equitySession(at('2026-12-02T09:00:00+08:00'), OPEN)).toEqual({
      open: false,
      tradeDate: '20261202',
      opensAt: at('2026-12-02T09:29:00+08:00'),
    });
    expect(equitySession(at('2026-12-02T12:00:00+08:00'), OPEN)).toMatchObject({
      open: false,
      opensAt: at('2026-12-02T13:00:00+08:00'),
    });
    expect(equitySession(at('2026-12-02T15:00:00+08:00'), OPEN)).toMatchObject({
      open: false,
      opensAt: at('2026-12-03T09:29:00+08:00'),
    });
    // The date is China's: 01:00 UTC on Friday is 09:00 Friday in China.
    expect(equitySession(at('2026-12-04T01:00:00Z'), OPEN)).toMatchObject({
      open: false,
      tradeDate: '20261204',
      opensAt: at('2026-12-04T09:29:00+08:00'),
    });
  });

  it('is closed all day on a day the calendar does not open, and the next open day is found', () => {
    const saturday = equitySession(at('2026-12-05T10:00:00+08:00'), OPEN);
    expect(saturday).toEqual({
      open: false,
      tradeDate: '20261205',
      opensAt: at('2026-12-07T09:29:00+08:00'),
    });
    expect(equitySession(at('2026-12-07T16:00:00+08:00'), OPEN)).toMatchObject({
      open: false,
      opensAt: null,
    });
  });
});

describe('followStep', () => {
  it('runs in the session, waits out the lunch break and stops at the close', () => {
    expect(followStep(at('2026-12-02T10:00:00+08:00'), '20261202', OPEN)).toEqual({ action: 'run' });
    expect(followStep(at('2026-12-02T11:45:00+08:00'), '20261202', OPEN)).toEqual({
      action: 'wait',
      until: at('2026-12-02T13:00:00+08:00'),
    });
    expect(followStep(at('2026-12-02T15:00:00+08:00'), '20261202', OPEN)).toEqual({ action: 'stop' });
    // A follow that runs past midnight does not go on into the next day's session.
    expect(followStep(at('2026-12-03T10:00:00+08:00'), '20261202', OPEN)).toEqual({ action: 'stop' });
  });
});

describe('calendarAhead', () => {
  it('reads today and the month after, so a holiday week still finds the next open day', () => {
    expect(calendarAhead('20261230')).toEqual({ from: '20261230', to: '20270130' });
  });
});

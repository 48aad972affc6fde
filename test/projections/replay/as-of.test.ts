import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import { controlReducer } from '../../../projections/reducers/control.js';
import { fold } from '../../../projections/reducers/types.js';
import { foldAsOf, runsAsOfTradeDate } from '../../../projections/replay/as-of.js';
import { controlLogs, logOf, randomLog } from '../generator.js';
import { ev, T0 } from '../spec.js';

describe('state as of a point', () => {
  it('as of an offset: the fold of every event up to and including it', () => {
    fc.assert(
      fc.property(controlLogs(120, 1), fc.nat({ max: 119 }), ({ seed, length }, at) => {
        const log = randomLog(seed, length);
        const offset = Math.min(at, length - 1);
        const asOf = foldAsOf(log, { offset });
        expect(asOf.through).toBe(offset);
        expect(asOf.state).toEqual(fold(controlReducer, log.slice(0, offset + 1)));
      }),
      { numRuns: 30 },
    );
  });

  it('as of a time: the longest prefix whose events occurred at or before it, even when a later clock goes back', () => {
    const flags = (p0Enabled: boolean, at: number) => ({ ...DEFAULT_FLAGS, p0Enabled, updatedAt: at });
    const log = logOf([
      ev('FlagsChanged', { flags: flags(false, T0 + 10) }, T0 + 10),
      ev('FlagsChanged', { flags: flags(true, T0 + 30) }, T0 + 30),
      // Stamped earlier than its predecessor: it never was in force at T0 + 20.
      ev('FlagsChanged', { flags: flags(false, T0 + 15) }, T0 + 15),
    ]);
    expect(foldAsOf(log, { time: T0 + 20 })).toMatchObject({
      through: 0,
      state: { flags: { current: { p0Enabled: false } } },
    });
    expect(foldAsOf(log, { time: T0 + 30 }).through).toBe(2);
    expect(foldAsOf(log, { time: T0 + 9 })).toMatchObject({
      through: null,
      state: { flags: { current: DEFAULT_FLAGS } },
    });
  });

  it('as of a trade date: only runs whose whole range ends on or before it; undated runs are left out', () => {
    const start = (runId: string, fromDate: string | null, toDate: string | null) =>
      ev('RunStarted', { runId, fromDate, toDate });
    const log = logOf([
      start('before', '20260105', '20260106'),
      start('ends-on', '20260105', '20260107'),
      start('straddles', '20260106', '20260108'),
      start('one-day', '20260107', null),
      start('after', '20260108', '20260108'),
      start('undated', null, null),
    ]);
    const asOf = foldAsOf(log, { tradeDate: '20260107' });
    expect(Object.keys(asOf.state.runs.runs).sort()).toEqual(['before', 'ends-on', 'one-day']);
    expect(asOf.through).toBe(5);
    expect(runsAsOfTradeDate(fold(controlReducer, log).runs, '20260104').runs).toEqual({});
  });
});

import { describe, expect, it } from 'vitest';
import { endOfTradeDate, phaseOn, probeOn } from '../../../projections/matrix/as-of.js';
import type { PhaseChange } from '../../../projections/reducers/history.js';
import type { ProbeEntry } from '../../../projections/reducers/probes.js';

const DAY1 = '20260309';
const DAY2 = '20260310';
/** 10:00 in Beijing on a trade date. */
const during = (ymd: string) => endOfTradeDate(ymd) + 1 - 14 * 3_600_000;

describe('phase and probes as of a trade date', () => {
  const phases: PhaseChange[] = [
    { phase: 'B', frozen: false, frozenReason: null, offset: 3, at: during(DAY1) },
    { phase: 'A', frozen: true, frozenReason: 'p0 regressed', offset: 9, at: during(DAY2) },
  ];

  it('is phase A, never moved, before the first phase event', () => {
    expect(phaseOn(phases, '20260306')).toEqual({
      phase: { phase: 'A', frozen: false, frozenReason: null },
      offset: null,
      changedAt: null,
    });
  });

  it('is the record set by the last move made by the end of the day', () => {
    expect(phaseOn(phases, DAY1)).toMatchObject({ phase: { phase: 'B', frozen: false }, offset: 3 });
    expect(phaseOn(phases, DAY2)).toMatchObject({ phase: { phase: 'A', frozen: true }, offset: 9 });
    // A move at 23:59:59.999 Beijing time still counts for its day; one a millisecond later does not.
    const late: PhaseChange[] = [{ ...(phases[0] as PhaseChange), at: endOfTradeDate(DAY1) + 1 }];
    expect(phaseOn(late, DAY1).offset).toBeNull();
    expect(phaseOn(late, DAY2).offset).toBe(3);
  });

  it("takes the endpoint's own latest probe by that day, a later failure withdrawing an earlier pass", () => {
    const probe = (apiName: string, passed: boolean, offset: number, at: number): ProbeEntry => ({
      apiName,
      passed,
      tushareCode: passed ? 0 : 40203,
      message: null,
      offset,
      at,
    });
    const history = [
      probe('stk_mins', true, 1, during(DAY1)),
      probe('idx_mins', false, 2, during(DAY2)),
      probe('stk_mins', false, 4, during(DAY2)),
    ];
    expect(probeOn(history, 'stk_mins', '20260306')).toBeUndefined();
    expect(probeOn(history, 'stk_mins', DAY1)?.passed).toBe(true);
    expect(probeOn(history, 'stk_mins', DAY2)).toMatchObject({ passed: false, offset: 4 });
    expect(probeOn(history, 'idx_mins', DAY1)).toBeUndefined();
  });
});

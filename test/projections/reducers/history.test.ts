import { describe, expect, it } from 'vitest';
import { phaseHistoryReducer, probeHistoryReducer } from '../../../projections/reducers/history.js';
import { ev, given, T0 } from '../spec.js';

const probe = (apiName: string, passed: boolean, at: number) =>
  ev(
    'PermissionProbed',
    { apiName, passed, tushareCode: passed ? 0 : 40203, message: passed ? null : 'no access' },
    at,
  );

describe('phase history projection', () => {
  it('records every move the phase machine makes, and nothing for the moves it refuses', () => {
    const state = given(phaseHistoryReducer).when(
      ev('PhaseAdvanced', { from: 'A', to: 'B', gate: 'foundation' }, T0),
      ev('PhaseAdvanced', { from: 'C', to: 'D', gate: 'p1' }, T0 + 1),
      ev('PhaseFrozen', { phase: 'B', reason: 'p0 regressed', rolledBackTo: 'A' }, T0 + 2),
    );
    expect(state.history).toEqual([
      { phase: 'B', frozen: false, frozenReason: null, offset: 0, at: T0 },
      { phase: 'A', frozen: true, frozenReason: 'p0 regressed', offset: 2, at: T0 + 2 },
    ]);
    expect(state.current).toMatchObject({ phase: 'A', frozen: true });
  });
});

describe('probe history projection', () => {
  it('keeps every probe in log order, a withdrawn pass included', () => {
    const state = given(probeHistoryReducer).when(
      probe('stk_mins', true, T0),
      ev('PhaseAdvanced', {}, T0 + 1),
      probe('stk_mins', false, T0 + 2),
    );
    expect(state.history.map((p) => [p.apiName, p.passed, p.offset, p.at])).toEqual([
      ['stk_mins', true, 0, T0],
      ['stk_mins', false, 2, T0 + 2],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { alertsReducer } from '../../../projections/reducers/alerts.js';
import { cursorsReducer } from '../../../projections/reducers/cursors.js';
import { gatesReducer } from '../../../projections/reducers/gates.js';
import { probesReducer } from '../../../projections/reducers/probes.js';
import { ev, given, T0 } from '../spec.js';

describe('gates, probes, alerts and cursors projections', () => {
  it('gates: the latest evaluation per gate, and every evaluation in order', () => {
    const state = given(gatesReducer).when(
      ev('GateEvaluated', { gate: 'p0', passed: false, cleanDays: 1 }, T0),
      ev('GateEvaluated', { gate: 'p1', passed: false, cleanDays: 0 }, T0 + 1),
      ev('GateEvaluated', { gate: 'p0', passed: true, cleanDays: 3, failures: [] }, T0 + 2),
    );
    expect(state.latest.p0).toMatchObject({
      offset: 2,
      passed: true,
      cleanDays: 3,
      at: T0 + 2,
      failures: [],
    });
    expect(state.latest.p1).toMatchObject({ offset: 1, passed: false });
    expect(state.history.map((g) => [g.gate, g.offset])).toEqual([
      ['p0', 0],
      ['p1', 1],
      ['p0', 2],
    ]);
  });

  it('probes: the latest probe per api, so a later failure withdraws an earlier pass', () => {
    const state = given(probesReducer).when(
      ev('PermissionProbed', { apiName: 'stk_premarket', passed: true, tushareCode: null, message: null }),
      ev('PermissionProbed', { apiName: 'rt_min', passed: true }),
      ev('PermissionProbed', { apiName: 'stk_premarket', passed: false, message: 'revoked' }, T0 + 7),
    );
    expect(state.probes.stk_premarket).toEqual({
      apiName: 'stk_premarket',
      passed: false,
      tushareCode: 40203,
      message: 'revoked',
      offset: 2,
      at: T0 + 7,
    });
    expect(state.probes.rt_min?.passed).toBe(true);
  });

  it('alerts: every alert in log order with its offset', () => {
    const state = given(alertsReducer, ev('RunHeartbeat')).when(
      ev('AlertRaised', { alert: 'coverage' }),
      ev('AlertRaised', { alert: 'failure_rate', severity: 'critical', value: null, threshold: null }),
    );
    expect(state.alerts.map((a) => [a.offset, a.alert, a.severity])).toEqual([
      [1, 'coverage', 'warning'],
      [2, 'failure_rate', 'critical'],
    ]);
  });

  it('cursors: only forward; a value behind is ignored and kept as a regression', () => {
    const cursor = 'universe_index_daily_cursor_v1';
    const state = given(cursorsReducer).when(
      ev('CursorAdvanced', { cursor, value: '20260105' }),
      ev('CursorAdvanced', { cursor, value: '20260107' }),
      ev('CursorAdvanced', { cursor, value: '20260106' }),
      ev('CursorAdvanced', { cursor, value: '20260107' }),
    );
    expect(state.cursors[cursor]?.value).toBe('20260107');
    expect(state.cursors[cursor]?.offset).toBe(1);
    expect(state.regressions).toEqual([{ cursor, value: '20260106', current: '20260107', offset: 2 }]);
  });
});

import { describe, expect, it } from 'vitest';
import { openAlerts } from '../../../projections/policy/decide.js';
import { alertsReducer } from '../../../projections/reducers/alerts.js';
import { ev, given, T0 } from '../spec.js';

const raised = (alert: string, at = T0) =>
  ev('AlertRaised', { alert, severity: 'warning', message: `${alert} holds`, value: 1, threshold: 0 }, at);

describe('alerts projection', () => {
  it('given a raised alert, AlertResolved closes it: a resolved entry, severity info, nothing open', () => {
    const state = given(alertsReducer, raised('residue')).when(
      ev(
        'AlertResolved',
        { alert: 'residue', message: 'residue no longer holds', raisedAtOffset: 0 },
        T0 + 1,
      ),
    );
    expect(state.alerts.map((a) => [a.offset, a.alert, a.kind, a.severity])).toEqual([
      [0, 'residue', 'raised', 'warning'],
      [1, 'residue', 'resolved', 'info'],
    ]);
    expect(openAlerts(state).size).toBe(0);
  });

  it('reads a log from before AlertResolved the same way: an info AlertRaised "resolved: …" is a close', () => {
    const legacyClose = ev('AlertRaised', {
      alert: 'residue',
      severity: 'info',
      message: 'resolved: residue no longer holds (raised at offset 0)',
      value: null,
      threshold: 0,
    });
    const state = given(alertsReducer, raised('residue'), raised('lag')).when(legacyClose);
    expect(state.alerts.map((a) => a.kind)).toEqual(['raised', 'raised', 'resolved']);
    expect([...openAlerts(state).keys()]).toEqual(['lag']);
    // An info alert that is not a close stays an alert.
    const info = given(alertsReducer).when(
      ev('AlertRaised', { alert: 'note', severity: 'info', message: 'fyi' }),
    );
    expect([...openAlerts(info).keys()]).toEqual(['note']);
  });

  it('a raise after a close opens the alert again', () => {
    const state = given(
      alertsReducer,
      raised('residue'),
      ev('AlertResolved', { alert: 'residue', message: 'gone', raisedAtOffset: 0 }),
    ).when(raised('residue', T0 + 5));
    expect(openAlerts(state).get('residue')?.offset).toBe(2);
  });
});

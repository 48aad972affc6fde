import { describe, expect, it } from 'vitest';
import { CommandRefusedError } from '../../../contracts/errors.js';
import type { ControlEvent } from '../../../contracts/events/control.js';
import {
  CURSOR_REGRESSION_ALERT,
  decideAdvanceCursor,
  decideCursorRegressionAlerts,
} from '../../../projections/commands/cursors.js';
import { controlReducer } from '../../../projections/reducers/control.js';
import { fold } from '../../../projections/reducers/types.js';
import { logOf } from '../generator.js';
import { ev, T0 } from '../spec.js';

const cursor = 'universe_moneyflow_cursor_v1';
const stateOf = (...events: ControlEvent[]) => fold(controlReducer, logOf(events));
const at = (value: string) => ev('CursorAdvanced', { cursor, value, previous: null, runId: null });
const advance = (events: ControlEvent[], value: string) =>
  decideAdvanceCursor(stateOf(...events), { cursor, value, runId: 'run-9', actor: 'producer', now: T0 });

describe('advanceCursor', () => {
  it('moves a new cursor to its first value with no previous', () => {
    expect(advance([], '20260105').events[0]?.payload).toEqual({
      cursor,
      value: '20260105',
      previous: null,
      runId: 'run-9',
    });
  });

  it('moves forward and records where it came from', () => {
    expect(advance([at('20260105')], '20260106').events[0]?.payload).toMatchObject({
      value: '20260106',
      previous: '20260105',
    });
  });

  it('refuses a value behind the current one, with the reason', () => {
    const error = (() => {
      try {
        advance([at('20260105'), at('20260108')], '20260107');
      } catch (err) {
        return err as CommandRefusedError;
      }
    })();
    expect(error).toBeInstanceOf(CommandRefusedError);
    expect(error?.reasons).toEqual([`cursor ${cursor} is at 20260108; 20260107 would move it back`]);
  });

  it('appends nothing for the value it already has', () => {
    expect(advance([at('20260105')], '20260105').events).toEqual([]);
  });
});

describe('the cursor regression alert policy', () => {
  it('raises one alert per ignored regression, naming its offset, and none for one already alerted', () => {
    const history = [at('20260105'), at('20260108'), at('20260101'), at('20260102')];
    const first = decideCursorRegressionAlerts(stateOf(...history), { actor: 'runner', now: T0 });
    expect(first.events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ alert: CURSOR_REGRESSION_ALERT, value: 2, severity: 'warning' }),
      expect.objectContaining({ alert: CURSOR_REGRESSION_ALERT, value: 3 }),
    ]);
    expect(first.events[0]?.payload).toMatchObject({
      message: expect.stringMatching(/back from 20260108 to 20260101/),
    });
    const again = decideCursorRegressionAlerts(stateOf(...history, ...first.events), {
      actor: 'runner',
      now: T0,
    });
    expect(again.events).toEqual([]);
  });

  it('raises nothing on a log without regressions', () => {
    expect(
      decideCursorRegressionAlerts(stateOf(at('20260105'), at('20260106')), { actor: 'r', now: T0 }).events,
    ).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { ControlEvent } from '../../../contracts/events/control.js';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import { decideFlagsBaseline, decideRollbackBaseline } from '../../../projections/commands/baselines.js';
import { decideSetFlags } from '../../../projections/commands/flags.js';
import { evaluateFoundation } from '../../../projections/gates/phases.js';
import { type ControlState, controlReducer } from '../../../projections/reducers/control.js';
import { rollbackBaselineOffset } from '../../../projections/reducers/flags.js';
import { fold, foldFrom } from '../../../projections/reducers/types.js';
import { logOf } from '../generator.js';
import { T0 } from '../spec.js';

let next = 0;
const apply = (state: ControlState, events: ControlEvent[]): ControlState =>
  foldFrom(
    controlReducer,
    state,
    events.map((event) => ({ event, meta: { offset: next++, timestamp: T0 } })),
  );
const foundation = (state: ControlState) =>
  evaluateFoundation({
    migrationsPending: [],
    topicsMissing: [],
    flagsOffset: state.flags.offset,
    rollbackOffset: rollbackBaselineOffset(state.flags),
  });
const input = { actor: 'migrate', now: T0 };

describe("phase A's baselines", () => {
  it('on a fresh store: the flags baseline, then a rollback to it, and the foundation holds', () => {
    let state = fold(controlReducer, logOf([]));
    expect(foundation(state).failures).toEqual(['flags_baseline_missing', 'rollback_baseline_missing']);

    const flags = decideFlagsBaseline(state, input).events;
    expect(flags).toHaveLength(1);
    state = apply(state, flags);
    const baselineOffset = state.flags.offset;
    expect(state.flags.current).toEqual({ ...DEFAULT_FLAGS, updatedAt: T0 });
    expect(foundation(state).failures).toEqual(['rollback_baseline_missing']);

    const rollback = decideRollbackBaseline(state, input).events;
    expect(rollback[0]).toMatchObject({
      type: 'FlagsChanged',
      payload: { restoredFromOffset: baselineOffset, flags: state.flags.current },
    });
    state = apply(state, rollback);
    expect(foundation(state)).toEqual({ gate: 'foundation', passed: true, failures: [] });
  });

  it('appends nothing the log already holds, so `migrate` may run again', () => {
    let state = fold(controlReducer, logOf([]));
    state = apply(state, decideFlagsBaseline(state, input).events);
    state = apply(state, decideRollbackBaseline(state, input).events);
    expect(decideFlagsBaseline(state, input).events).toEqual([]);
    expect(decideRollbackBaseline(state, input).events).toEqual([]);
  });

  it('keeps switches an operator already set, and needs a flags state before a rollback baseline', () => {
    let state = fold(controlReducer, logOf([]));
    expect(decideRollbackBaseline(state, input).events).toEqual([]);
    state = apply(
      state,
      decideSetFlags(state, { changes: { p2Enabled: false }, actor: 'ops', reason: 'hold P2', now: T0 })
        .events,
    );
    expect(decideFlagsBaseline(state, input).events).toEqual([]);
    const [event] = decideRollbackBaseline(state, input).events;
    expect(event?.type === 'FlagsChanged' && event.payload.flags.p2Enabled).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { CommandRefusedError } from '../../../contracts/errors.js';
import type { ControlEvent } from '../../../contracts/events/control.js';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import {
  decideAdvancePhase,
  decideFreezePhase,
  type GateVerdictInput,
  PHASE_EXIT_GATES,
} from '../../../projections/commands/phases.js';
import { type ControlState, controlReducer } from '../../../projections/reducers/control.js';
import { fold, foldFrom } from '../../../projections/reducers/types.js';
import { logOf } from '../generator.js';
import { T0 } from '../spec.js';

const pass = (gate: string): GateVerdictInput => ({ gate, passed: true, failures: [] });
const fail = (gate: string, ...failures: string[]): GateVerdictInput => ({ gate, passed: false, failures });

/** Applies decided events the way the log would, so a test can chain commands. */
function apply(state: ControlState, events: ControlEvent[]): ControlState {
  return foldFrom(
    controlReducer,
    state,
    events.map((event, i) => ({ event, meta: { offset: 1000 + i, timestamp: T0 } })),
  );
}
const initial = () => fold(controlReducer, logOf([]));
const advance = (state: ControlState, verdict: GateVerdictInput) =>
  decideAdvancePhase(state, { actor: 'ops', gateVerdict: verdict, now: T0 });
const refusedReasons = (work: () => unknown): string[] => {
  try {
    work();
  } catch (err) {
    if (err instanceof CommandRefusedError) return [...err.reasons];
    throw err;
  }
  throw new Error('expected a refusal');
};

function walkTo(phase: 'A' | 'B' | 'C' | 'D' | 'E'): ControlState {
  let state = initial();
  while (state.phases.phase !== phase) {
    state = apply(state, advance(state, pass(PHASE_EXIT_GATES[state.phases.phase] as string)).events);
  }
  return state;
}

describe('advancePhase', () => {
  it('goes A → B → C → D → E one at a time through each exit gate', () => {
    let state = initial();
    const seen: string[] = [state.phases.phase];
    for (const gate of ['foundation', 'p0', 'p1', 'p2']) {
      const decided = advance(state, pass(gate));
      expect(decided.events[0]).toMatchObject({
        type: 'PhaseAdvanced',
        payload: { from: state.phases.phase, gate },
      });
      state = apply(state, decided.events);
      seen.push(state.phases.phase);
    }
    expect(seen).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('refuses when the exit gate fails, listing each failing condition', () => {
    const state = walkTo('B');
    expect(
      refusedReasons(() => advance(state, fail('p0', 'clean_days_below_required', 'running_residue'))),
    ).toEqual(['p0: clean_days_below_required', 'p0: running_residue']);
  });

  it('refuses a verdict of another gate than the current exit gate (no skipping)', () => {
    expect(refusedReasons(() => advance(walkTo('B'), pass('p1')))).toEqual([
      'the verdict is for gate p1; phase B is left through gate p0',
    ]);
  });

  it('refuses to leave E', () => {
    expect(refusedReasons(() => advance(walkTo('E'), pass('p2')))).toEqual(['phase E is the last phase']);
  });

  it('does not touch the flags when the entered batch is already on', () => {
    expect(advance(walkTo('B'), pass('p0')).events.map((e) => e.type)).toEqual(['PhaseAdvanced']);
  });
});

describe('freezePhase', () => {
  it('in C, a regressed p0 freezes back to B and switches p1 off in the same command', () => {
    const state = walkTo('C');
    const decided = decideFreezePhase(state, {
      actor: 'ops',
      gateVerdict: fail('p0', 'coverage_below_min'),
      now: T0,
    });
    expect(decided.events.map((e) => e.type)).toEqual(['PhaseFrozen', 'FlagsChanged']);
    expect(decided.events[0]?.payload).toEqual({
      phase: 'C',
      reason: 'gate p0 regressed: coverage_below_min',
      rolledBackTo: 'B',
    });
    expect(decided.events[1]?.payload).toMatchObject({
      flags: { ...DEFAULT_FLAGS, p1Enabled: false, updatedAt: T0 },
      reason: 'gate p0 regressed: coverage_below_min',
    });
    const after = apply(state, decided.events);
    expect(after.phases).toMatchObject({ phase: 'B', frozen: true });
    expect(after.flags.current.p1Enabled).toBe(false);
  });

  it('after a freeze, advancing again through the regressed gate re-enters the phase and turns its batch back on', () => {
    const frozen = apply(
      walkTo('C'),
      decideFreezePhase(walkTo('C'), { actor: 'ops', gateVerdict: fail('p0'), now: T0 }).events,
    );
    const decided = advance(frozen, pass('p0'));
    expect(decided.events.map((e) => e.type)).toEqual(['PhaseUnfrozen', 'PhaseAdvanced', 'FlagsChanged']);
    expect(decided.events[0]?.payload).toEqual({
      phase: 'B',
      reason: 'gate p0 holds again (frozen: gate p0 regressed)',
      gate: 'p0',
    });
    // The lift alone: still in B, no longer frozen.
    expect(apply(frozen, decided.events.slice(0, 1)).phases).toMatchObject({ phase: 'B', frozen: false });
    const after = apply(frozen, decided.events);
    expect(after.phases).toMatchObject({ phase: 'C', frozen: false });
    expect(after.flags.current.p1Enabled).toBe(true);
  });

  it('in E, the regressed batch gate switches its own batch off', () => {
    const decided = decideFreezePhase(walkTo('E'), { actor: 'ops', gateVerdict: fail('p1'), now: T0 });
    expect(decided.events[0]?.payload).toMatchObject({ phase: 'E', rolledBackTo: 'D' });
    expect(decided.events[1]?.payload).toMatchObject({
      flags: { p1Enabled: false, p0Enabled: true, p2Enabled: true },
    });
  });

  it('refuses a gate that holds, a gate not yet passed, and any freeze in A', () => {
    const c = walkTo('C');
    const freeze = (state: ControlState, verdict: GateVerdictInput) => () =>
      decideFreezePhase(state, { actor: 'ops', gateVerdict: verdict, now: T0 });
    expect(refusedReasons(freeze(c, pass('p0')))).toEqual(['gate p0 holds; nothing regressed']);
    expect(refusedReasons(freeze(c, fail('p1')))).toEqual([
      'gate p1 is not one phase C passed through (foundation, p0)',
    ]);
    expect(refusedReasons(freeze(initial(), fail('foundation')))).toEqual([
      'phase A has passed no gate yet; nothing can regress',
    ]);
  });
});

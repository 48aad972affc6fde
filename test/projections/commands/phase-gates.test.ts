import { describe, expect, it } from 'vitest';
import { CommandRefusedError } from '../../../contracts/errors.js';
import type { ControlEvent } from '../../../contracts/events/control.js';
import { decideAdvanceThroughGates } from '../../../projections/commands/phase-gates.js';
import { decideFreezePhase } from '../../../projections/commands/phases.js';
import type { GateOutcome } from '../../../projections/gates/phases.js';
import { type ControlState, controlReducer } from '../../../projections/reducers/control.js';
import { fold, foldFrom } from '../../../projections/reducers/types.js';
import { logOf } from '../generator.js';
import { T0 } from '../spec.js';

const pass = (gate: string): Required<GateOutcome> => ({ gate, passed: true, failures: [] });
const fail = (gate: string, ...failures: string[]): Required<GateOutcome> => ({
  gate,
  passed: false,
  failures,
});

let offset = 0;
const apply = (state: ControlState, events: ControlEvent[]): ControlState =>
  foldFrom(
    controlReducer,
    state,
    events.map((event) => ({ event, meta: { offset: offset++, timestamp: T0 } })),
  );
const advance = (state: ControlState, exit: GateOutcome, held: GateOutcome[] = []) =>
  decideAdvanceThroughGates(state, { actor: 'ops', now: T0, exit, held });
const refusal = (work: () => unknown): CommandRefusedError => {
  try {
    work();
  } catch (err) {
    if (err instanceof CommandRefusedError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('advancePhaseThroughGates: the roadmap rules and the log rules on one state', () => {
  it('given a freeze, then the phase stays while its exit gate fails and advances, unfrozen, once it holds', () => {
    let state = fold(controlReducer, logOf([]));
    state = apply(state, advance(state, pass('foundation')).events);
    state = apply(state, advance(state, pass('p0')).events);
    expect(state.phases.phase).toBe('C');

    // P0 regresses in C: back to B, frozen, P1 switched off.
    state = apply(
      state,
      decideFreezePhase(state, {
        actor: 'ops',
        now: T0,
        gateVerdict: fail('p0', 'blocking_run_failed:20260224'),
      }).events,
    );
    expect(state.phases).toMatchObject({ phase: 'B', frozen: true });
    expect(state.flags.current.p1Enabled).toBe(false);

    const refused = refusal(() => advance(state, fail('p0', 'clean_days_below_required')));
    expect(refused.reasons).toEqual(['phase_frozen:B', 'exit_gate_failed:p0', 'clean_days_below_required']);
    expect(refused.details).toMatchObject({ phase: 'B', frozen: true, gate: 'p0' });

    const decided = advance(state, pass('p0'));
    expect(decided.events.map((e) => e.type)).toEqual(['PhaseUnfrozen', 'PhaseAdvanced', 'FlagsChanged']);
    state = apply(state, decided.events);
    expect(state.phases).toMatchObject({ phase: 'C', frozen: false, frozenReason: null });
    expect(state.flags.current.p1Enabled).toBe(true);
  });

  it('given entry to P2, then the P0 gate must still hold, which the log command alone does not check', () => {
    let state = fold(controlReducer, logOf([]));
    for (const gate of ['foundation', 'p0']) state = apply(state, advance(state, pass(gate)).events);
    expect(refusal(() => advance(state, pass('p1'), [fail('p0')])).reasons).toEqual(['held_gate_failed:p0']);
    expect(advance(state, pass('p1'), [pass('p0')]).phase).toBe('D');
  });
});

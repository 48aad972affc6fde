import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import type { GateSnapshot } from '../../../projections/api/schemas.js';
import { decidePostVerification } from '../../../projections/policy/decide.js';
import { type ControlState, controlReducer } from '../../../projections/reducers/control.js';
import type { Phase } from '../../../projections/reducers/phases.js';
import { fold } from '../../../projections/reducers/types.js';
import { logOf } from '../generator.js';
import { T0 } from '../spec.js';

const stamp = { actor: 'evaluator', now: T0 };
/** What the decision reads of a snapshot: which gates pass. */
const snapshot = (passing: string[]) =>
  ({
    gates: ['p0', 'p1', 'p2'].map((gate) => ({ gate, passed: passing.includes(gate) })),
  }) as unknown as GateSnapshot;
const stateIn = (phase: Phase, frozen = false, flags = DEFAULT_FLAGS): ControlState => {
  const state = fold(controlReducer, logOf([]));
  return {
    ...state,
    phases: { ...state.phases, phase, frozen },
    flags: { ...state.flags, current: flags },
  };
};

describe('the post-verification state', () => {
  const afterFreeze = {
    ...DEFAULT_FLAGS,
    p0Enabled: false,
    p2RealtimeIndexV1: false,
    universeIndexDailyEnabled: true,
  };

  it('once P0, P1 and P2 hold in phase E, turns every batch and accepted p2 sub-switch on in one FlagsChanged', () => {
    const decided = decidePostVerification(
      stateIn('E', false, afterFreeze),
      snapshot(['p0', 'p1', 'p2']),
      stamp,
    );
    expect(decided?.switched).toEqual(['p0Enabled', 'p2RealtimeIndexV1']);
    expect(decided?.events).toHaveLength(1);
    const [event] = decided?.events ?? [];
    expect(event?.type).toBe('FlagsChanged');
    if (event?.type !== 'FlagsChanged') return;
    expect(event.payload.flags).toEqual({
      ...DEFAULT_FLAGS,
      universeIndexDailyEnabled: true,
      p2SpecialPermissionStkPremarketV1: false,
      updatedAt: T0,
    });
    expect(event.payload.reason).toMatch(/^post-verification: gates p0, p1, p2 hold in phase E/);
  });

  it('waits for E, for every batch gate, and for a freeze to lift; appends nothing once in place', () => {
    const all = snapshot(['p0', 'p1', 'p2']);
    expect(decidePostVerification(stateIn('D', false, afterFreeze), all, stamp)).toBeNull();
    expect(decidePostVerification(stateIn('E', true, afterFreeze), all, stamp)).toBeNull();
    expect(
      decidePostVerification(stateIn('E', false, afterFreeze), snapshot(['p0', 'p1']), stamp),
    ).toBeNull();
    expect(decidePostVerification(stateIn('E'), all, stamp)).toBeNull();
  });
});

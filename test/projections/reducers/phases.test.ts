import { describe, expect, it } from 'vitest';
import { nextPhase, PHASES, phasesReducer, previousPhase } from '../../../projections/reducers/phases.js';
import { ev, given, T0 } from '../spec.js';

const advance = (from: 'A' | 'B' | 'C' | 'D', to: 'B' | 'C' | 'D' | 'E', at = T0) =>
  ev('PhaseAdvanced', { from, to, gate: 'g' }, at);

describe('phases projection', () => {
  it('starts in A, not frozen, never changed', () => {
    expect(given(phasesReducer).state()).toEqual({
      phase: 'A',
      frozen: false,
      frozenReason: null,
      offset: null,
      at: null,
    });
  });

  it('orders the phases A..E', () => {
    expect(PHASES).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect([nextPhase('A'), nextPhase('E'), previousPhase('A'), previousPhase('C')]).toEqual([
      'B',
      null,
      null,
      'B',
    ]);
  });

  it('given A, when A→B and B→C are recorded, then the phase is C at the last offset', () => {
    const state = given(phasesReducer).when(advance('A', 'B', T0), advance('B', 'C', T0 + 1));
    expect(state).toEqual({ phase: 'C', frozen: false, frozenReason: null, offset: 1, at: T0 + 1 });
  });

  it('ignores advances that skip a phase or do not start from the current one', () => {
    const state = given(phasesReducer, advance('A', 'B')).when(
      ev('PhaseAdvanced', { from: 'B', to: 'D', gate: 'g' }),
      advance('C', 'D'),
    );
    expect(state.phase).toBe('B');
    expect(state.offset).toBe(0);
  });

  it('given a freeze back to B, PhaseUnfrozen of B lifts it in place; one of another phase, or unfrozen, changes nothing', () => {
    const frozen = [
      advance('A', 'B'),
      advance('B', 'C'),
      ev('PhaseFrozen', { phase: 'C', reason: 'p0 regressed', rolledBackTo: 'B' }),
    ];
    const lifted = given(phasesReducer, ...frozen).when(
      ev('PhaseUnfrozen', { phase: 'B', reason: 'gate p0 holds again', gate: 'p0' }, T0 + 7),
    );
    expect(lifted).toEqual({ phase: 'B', frozen: false, frozenReason: null, offset: 3, at: T0 + 7 });
    const other = given(phasesReducer, ...frozen).when(
      ev('PhaseUnfrozen', { phase: 'C', reason: 'x', gate: 'p1' }),
    );
    expect(other).toMatchObject({ phase: 'B', frozen: true, offset: 2 });
    const notFrozen = given(phasesReducer, advance('A', 'B')).when(
      ev('PhaseUnfrozen', { phase: 'B', reason: 'x', gate: 'p0' }),
    );
    expect(notFrozen).toMatchObject({ phase: 'B', frozen: false, offset: 0 });
  });

  it('given C, when C freezes back to B, then the phase is B and frozen with the reason; in logs from before PhaseUnfrozen, the next advance lifts it', () => {
    const frozen = given(phasesReducer, advance('A', 'B'), advance('B', 'C')).when(
      ev('PhaseFrozen', { phase: 'C', reason: 'p0 regressed', rolledBackTo: 'B' }, T0 + 5),
    );
    expect(frozen).toEqual({ phase: 'B', frozen: true, frozenReason: 'p0 regressed', offset: 2, at: T0 + 5 });
    const lifted = given(
      phasesReducer,
      advance('A', 'B'),
      advance('B', 'C'),
      ev('PhaseFrozen', { phase: 'C', reason: 'p0 regressed', rolledBackTo: 'B' }),
    ).when(advance('B', 'C', T0 + 9));
    expect(lifted).toMatchObject({ phase: 'C', frozen: false, frozenReason: null });
  });

  it('ignores a freeze of another phase or one rolling back further than one phase', () => {
    const before = given(phasesReducer, advance('A', 'B'), advance('B', 'C')).state();
    const after = given(phasesReducer, advance('A', 'B'), advance('B', 'C')).when(
      ev('PhaseFrozen', { phase: 'D', reason: 'x', rolledBackTo: 'C' }),
      ev('PhaseFrozen', { phase: 'C', reason: 'x', rolledBackTo: 'A' }),
    );
    expect(after).toEqual(before);
  });

  it('a freeze without rollback keeps the phase and freezes what follows', () => {
    const state = given(phasesReducer, advance('A', 'B')).when(
      ev('PhaseFrozen', { phase: 'B', reason: 'hold', rolledBackTo: null }),
    );
    expect(state).toMatchObject({ phase: 'B', frozen: true, frozenReason: 'hold' });
  });
});

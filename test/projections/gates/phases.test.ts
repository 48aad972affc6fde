import { describe, expect, it } from 'vitest';
import { PhaseFrozen } from '../../../contracts/events/control.js';
import {
  decideAdvance,
  decideRegression,
  EXIT_GATE,
  evaluateFoundation,
  PHASES,
} from '../../../projections/gates/phases.js';

const pass = (gate: string) => ({ gate, passed: true, failures: [] });
const fail = (gate: string, ...failures: string[]) => ({ gate, passed: false, failures });

describe('decideAdvance', () => {
  it('given each phase with its exit gate passed, then it advances one phase, in order', () => {
    expect(decideAdvance('A', false, pass('foundation'))).toEqual({
      allowed: true,
      from: 'A',
      to: 'B',
      gate: 'foundation',
      liftsFreeze: false,
    });
    expect(decideAdvance('B', false, pass('p0'))).toEqual({
      allowed: true,
      from: 'B',
      to: 'C',
      gate: 'p0',
      liftsFreeze: false,
    });
    expect(decideAdvance('C', false, pass('p1'), [pass('p0')])).toMatchObject({ allowed: true, to: 'D' });
    expect(decideAdvance('D', false, pass('p2'), [pass('p0'), pass('p1')])).toMatchObject({
      allowed: true,
      to: 'E',
    });
    expect(PHASES.map((p) => EXIT_GATE[p])).toEqual(['foundation', 'p0', 'p1', 'p2', null]);
  });

  it('given the exit gate failed, then no advance, with the gate failures as reasons', () => {
    expect(decideAdvance('B', false, fail('p0', 'blocking_run_failed:20260212'))).toEqual({
      allowed: false,
      reasons: ['exit_gate_failed:p0', 'blocking_run_failed:20260212'],
    });
    expect(decideAdvance('A', false, { gate: 'foundation', passed: false })).toEqual({
      allowed: false,
      reasons: ['exit_gate_failed:foundation'],
    });
  });

  it("given another phase's gate, then it is not this phase's exit", () => {
    expect(decideAdvance('B', false, pass('p1'))).toEqual({
      allowed: false,
      reasons: ['wrong_exit_gate:p1!=p0'],
    });
  });

  it('given a frozen phase whose exit gate holds again, then it advances and the freeze is lifted', () => {
    // After a freeze in C rolled back to B, B's exit gate is the one to pass again.
    expect(decideAdvance('B', true, pass('p0'))).toEqual({
      allowed: true,
      from: 'B',
      to: 'C',
      gate: 'p0',
      liftsFreeze: true,
    });
  });

  it('given a frozen phase whose exit gate still fails, then it stays, frozen, with the failing conditions', () => {
    expect(decideAdvance('B', true, fail('p0', 'blocking_run_failed:20260224'))).toEqual({
      allowed: false,
      reasons: ['phase_frozen:B', 'exit_gate_failed:p0', 'blocking_run_failed:20260224'],
    });
    // A held gate still failing keeps a frozen C where it is, exit gate or not.
    expect(decideAdvance('C', true, pass('p1'), [fail('p0')])).toEqual({
      allowed: false,
      reasons: ['phase_frozen:C', 'held_gate_failed:p0'],
    });
  });

  it('given entry to P2, then P0 must still be stable (roadmap rule 4)', () => {
    expect(decideAdvance('C', false, pass('p1'))).toEqual({
      allowed: false,
      reasons: ['held_gate_missing:p0'],
    });
    expect(decideAdvance('C', false, pass('p1'), [fail('p0')])).toEqual({
      allowed: false,
      reasons: ['held_gate_failed:p0'],
    });
  });

  it('given E, then there is nowhere to go', () => {
    expect(decideAdvance('E', false, pass('p2'))).toEqual({ allowed: false, reasons: ['final_phase'] });
  });
});

describe('evaluateFoundation', () => {
  it('given the store and log set up and a flags state and a rollback on record, then the foundation holds', () => {
    expect(
      evaluateFoundation({ migrationsPending: [], topicsMissing: [], flagsOffset: 0, rollbackOffset: 1 }),
    ).toEqual({
      gate: 'foundation',
      passed: true,
      failures: [],
    });
  });

  it('given what is missing, then each missing piece is a condition', () => {
    const verdict = evaluateFoundation({
      migrationsPending: ['003_projections'],
      topicsMissing: ['xasset.control.v1'],
      flagsOffset: null,
      rollbackOffset: null,
    });
    expect(verdict).toEqual({
      gate: 'foundation',
      passed: false,
      failures: [
        'migration_pending:003_projections',
        'topic_missing:xasset.control.v1',
        'flags_baseline_missing',
        'rollback_baseline_missing',
      ],
    });
    // The verdict is what the A → B decision takes.
    expect(decideAdvance('A', false, verdict)).toMatchObject({
      allowed: false,
      reasons: ['exit_gate_failed:foundation', ...verdict.failures],
    });
  });
});

describe('decideRegression', () => {
  it('given every earlier gate still passing, then nothing happens', () => {
    expect(
      decideRegression('D', { foundation: pass('foundation'), p0: pass('p0'), p1: pass('p1') }),
    ).toBeNull();
  });

  it("given the current phase's own exit gate still short, then it is progress, not regression", () => {
    expect(decideRegression('B', { p0: fail('p0', 'clean_days_below_required') })).toBeNull();
    expect(decideRegression('A', { foundation: fail('foundation') })).toBeNull();
  });

  it('given an earlier gate regressing in C, then D and E freeze and P1 is switched off, P0 untouched', () => {
    const decision = decideRegression('C', {
      p0: fail('p0', 'blocking_run_failed:20260224'),
      p1: pass('p1'),
    });
    expect(decision).toEqual({
      phase: 'C',
      freeze: ['D', 'E'],
      rollbackFlags: { p1Enabled: false },
      rolledBackTo: 'B',
      failedGates: ['p0'],
      reason: 'gate_regressed:p0',
    });
    // It fits the PhaseFrozen event the command appends.
    expect(
      PhaseFrozen.safeParse({ phase: 'D', reason: decision?.reason, rolledBackTo: decision?.rolledBackTo })
        .success,
    ).toBe(true);
  });

  it('given a regression in D, then P2 is rolled back', () => {
    expect(decideRegression('D', { p1: fail('p1') })).toMatchObject({
      rollbackFlags: { p2Enabled: false },
      freeze: ['E'],
    });
  });

  it('given a regression in E, then the batches whose gates failed are switched off', () => {
    expect(decideRegression('E', { p0: pass('p0'), p1: fail('p1'), p2: fail('p2') })).toMatchObject({
      freeze: [],
      rollbackFlags: { p1Enabled: false, p2Enabled: false },
      failedGates: ['p1', 'p2'],
    });
  });

  it('given the foundation failing in B, then P0 is rolled back', () => {
    expect(decideRegression('B', { foundation: fail('foundation') })).toMatchObject({
      rollbackFlags: { p0Enabled: false },
      rolledBackTo: 'A',
    });
  });
});

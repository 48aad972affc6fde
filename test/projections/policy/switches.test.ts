import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS, FLAG_NAMES, type RolloutFlags } from '../../../contracts/flags.js';
import {
  effectiveSwitches,
  OPENS_AT,
  type PhaseRecord,
  postVerificationFlags,
  switchDifferences,
  switchStates,
} from '../../../projections/policy/switches.js';

const allOn = (): RolloutFlags => {
  const flags = { ...DEFAULT_FLAGS, updatedAt: 7 };
  for (const name of FLAG_NAMES) flags[name] = true;
  return flags;
};
const at = (
  phase: PhaseRecord['phase'],
  frozen = false,
  frozenReason: string | null = null,
): PhaseRecord => ({
  phase,
  frozen,
  frozenReason,
});
const inForce = (flags: RolloutFlags, record: PhaseRecord) => {
  const effective = effectiveSwitches(flags, record);
  return FLAG_NAMES.filter((name) => effective[name]);
};

describe('the effective switch: flags AND the phase record', () => {
  it('lets nothing run in phase A, whatever the flags say', () => {
    expect(inForce(allOn(), at('A'))).toEqual([]);
    const diff = switchDifferences(allOn(), at('A'));
    expect(Object.keys(diff).sort()).toEqual([...FLAG_NAMES].sort());
    expect(diff.p0Enabled).toEqual({
      reason: 'phase',
      detail: 'p0Enabled takes effect from phase B; the store is in phase A',
    });
  });

  it('opens P0 at B, P1 at C, P2 with its sub-switches and the recovery modules at D', () => {
    expect(inForce(allOn(), at('B'))).toEqual(['p0Enabled']);
    expect(inForce(allOn(), at('C'))).toEqual(['p0Enabled', 'p1Enabled']);
    expect(inForce(allOn(), at('D'))).toEqual([...FLAG_NAMES]);
    expect(inForce(allOn(), at('E'))).toEqual([...FLAG_NAMES]);
    expect(OPENS_AT.universeIndexDailyEnabled).toBe('D');
  });

  it('never switches on what the flags switch off, in any phase', () => {
    const flags = { ...allOn(), p1Enabled: false, universeMoneyflowEnabled: false };
    for (const phase of ['A', 'B', 'C', 'D', 'E'] as const) {
      const effective = effectiveSwitches(flags, at(phase));
      expect(effective.p1Enabled).toBe(false);
      expect(effective.universeMoneyflowEnabled).toBe(false);
    }
    expect(switchStates(flags, at('E')).p1Enabled).toEqual({
      stored: false,
      effective: false,
      reason: 'switched_off',
      detail: 'p1Enabled is false',
    });
    expect(switchDifferences(flags, at('E'))).toEqual({});
  });

  it('keeps p2 sub-switches inert without the p2 master switch, even in E', () => {
    const flags = { ...allOn(), p2Enabled: false };
    const states = switchStates(flags, at('E'));
    expect(states.p2RealtimeIndexV1).toMatchObject({
      stored: true,
      effective: false,
      reason: 'p2_master_off',
    });
    expect(states.universeIndexDailyEnabled.effective).toBe(true);
  });

  it('shuts the frozen phase and every later one, and says so in words', () => {
    // Phase C froze: the record rolled back to B, frozen.
    const record = at('B', true, 'gate p0 regressed: blocking_run_failed:20240105');
    expect(inForce(allOn(), record)).toEqual(['p0Enabled']);
    expect(switchDifferences(allOn(), record).p1Enabled).toEqual({
      reason: 'phase',
      detail:
        'phase C is frozen (gate p0 regressed: blocking_run_failed:20240105): phase B again until its gate holds; p1Enabled takes effect from phase C',
    });
  });

  it('sets the phase rule aside for a forced run, never the flags', () => {
    const flags = { ...allOn(), p2Enabled: false };
    const forced = effectiveSwitches(flags, at('A'), { forcePhase: true });
    expect(forced.p0Enabled && forced.p1Enabled && forced.universeDailyBasicEnabled).toBe(true);
    expect(forced.p2Enabled || forced.p2RealtimeIndexV1).toBe(false);
    expect(forced.updatedAt).toBe(7);
  });
});

describe('the post-verification state', () => {
  it('turns on the batches and the accepted p2 sub-switches, leaving premarket and the waves as stored', () => {
    const flags = {
      ...allOn(),
      p0Enabled: false,
      p2RealtimeIndexV1: false,
      p2SpecialPermissionStkPremarketV1: false,
    };
    const next = postVerificationFlags(flags);
    expect(next).toMatchObject({
      p0Enabled: true,
      p1Enabled: true,
      p2Enabled: true,
      p2RealtimeIndexV1: true,
      p2RealtimeEquityEtfV1: true,
      p2FuturesMicrostructureV1: true,
      p2SpecialPermissionStkPremarketV1: false,
      universeIndexDailyEnabled: true,
    });
    expect(postVerificationFlags(DEFAULT_FLAGS)).toBeNull();
  });
});

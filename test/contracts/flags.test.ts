import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS, effectiveFlags, FLAG_NAMES, RolloutFlagsV1 } from '../../contracts/flags.js';

describe('rollout_flags_v1', () => {
  it("defaults to the roadmap's post-convergence baseline, key for key", () => {
    expect(DEFAULT_FLAGS).toEqual({
      p0Enabled: true,
      p1Enabled: true,
      p2Enabled: true,
      universeIndexDailyEnabled: false,
      universeDailyBasicEnabled: false,
      universeMoneyflowEnabled: false,
      p2RealtimeIndexV1: true,
      p2RealtimeEquityEtfV1: true,
      p2FuturesMicrostructureV1: true,
      p2SpecialPermissionStkPremarketV1: false,
      updatedAt: 0,
    });
    expect(FLAG_NAMES).toHaveLength(10);
  });

  it('rejects unknown keys, wrong types and fractional or negative timestamps', () => {
    expect(RolloutFlagsV1.safeParse({ ...DEFAULT_FLAGS, p3Enabled: true }).success).toBe(false);
    expect(RolloutFlagsV1.safeParse({ ...DEFAULT_FLAGS, p0Enabled: 'true' }).success).toBe(false);
    expect(RolloutFlagsV1.safeParse({ ...DEFAULT_FLAGS, updatedAt: 1.5 }).success).toBe(false);
    expect(RolloutFlagsV1.safeParse({ ...DEFAULT_FLAGS, updatedAt: -1 }).success).toBe(false);
  });

  it('makes every p2 sub-switch inert while p2Enabled is false, and leaves the rest alone', () => {
    const stored = { ...DEFAULT_FLAGS, p2Enabled: false, p2SpecialPermissionStkPremarketV1: true };
    const effective = effectiveFlags(stored);
    expect(effective.p2RealtimeIndexV1).toBe(false);
    expect(effective.p2RealtimeEquityEtfV1).toBe(false);
    expect(effective.p2FuturesMicrostructureV1).toBe(false);
    expect(effective.p2SpecialPermissionStkPremarketV1).toBe(false);
    expect(effective.p0Enabled).toBe(true);
    expect(stored.p2RealtimeIndexV1).toBe(true);
    expect(effectiveFlags(DEFAULT_FLAGS)).toEqual(DEFAULT_FLAGS);
  });
});

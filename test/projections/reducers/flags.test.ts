import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import { effectiveOf, flagsReducer } from '../../../projections/reducers/flags.js';
import { ev, given, T0 } from '../spec.js';

describe('flags projection', () => {
  it('given no FlagsChanged, then the stored flags are the defaults and nothing is in history', () => {
    expect(given(flagsReducer).state()).toEqual({ current: DEFAULT_FLAGS, offset: null, history: [] });
  });

  it('when flags change twice, then the last whole state is current and history keeps actor, reason, offsets', () => {
    const first = { ...DEFAULT_FLAGS, p1Enabled: false, updatedAt: T0 };
    const second = { ...DEFAULT_FLAGS, p2Enabled: false, updatedAt: T0 + 1 };
    const state = given(flagsReducer, ev('RunHeartbeat')).when(
      ev('FlagsChanged', { flags: first, reason: 'p1 off' }, T0, 'alice'),
      ev('FlagsChanged', { flags: second, reason: 'undo', restoredFromOffset: 0 }, T0 + 1, 'bob'),
    );
    expect(state.current).toEqual(second);
    expect(state.offset).toBe(2);
    expect(state.history).toEqual([
      { offset: 1, flags: first, actor: 'alice', reason: 'p1 off', restoredFromOffset: null, at: T0 },
      { offset: 2, flags: second, actor: 'bob', reason: 'undo', restoredFromOffset: 0, at: T0 + 1 },
    ]);
  });

  it('the effective flags switch every p2 sub-switch off while p2Enabled is off, the stored ones keep them', () => {
    const stored = { ...DEFAULT_FLAGS, p2Enabled: false, p2RealtimeIndexV1: true, updatedAt: T0 };
    const state = given(flagsReducer).when(ev('FlagsChanged', { flags: stored }));
    expect(state.current.p2RealtimeIndexV1).toBe(true);
    expect(effectiveOf(state)).toMatchObject({
      p2Enabled: false,
      p2RealtimeIndexV1: false,
      p2RealtimeEquityEtfV1: false,
      p2FuturesMicrostructureV1: false,
      p2SpecialPermissionStkPremarketV1: false,
      p0Enabled: true,
    });
  });
});

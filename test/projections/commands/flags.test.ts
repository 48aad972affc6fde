import { describe, expect, it } from 'vitest';
import { CommandRefusedError, UnknownEndpointError, ValidationError } from '../../../contracts/errors.js';
import type { ControlEvent } from '../../../contracts/events/control.js';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import {
  decideRecordProbe,
  decideRollbackFlags,
  decideSetFlags,
  type FlagChanges,
} from '../../../projections/commands/flags.js';
import { type ControlState, controlReducer } from '../../../projections/reducers/control.js';
import { fold } from '../../../projections/reducers/types.js';
import { foldAsOf } from '../../../projections/replay/as-of.js';
import { logOf } from '../generator.js';
import { ev, T0 } from '../spec.js';

const stateOf = (...events: ControlEvent[]): ControlState => fold(controlReducer, logOf(events));
const set = (state: ControlState, changes: FlagChanges, now = T0 + 60_000) =>
  decideSetFlags(state, { changes, actor: 'alice', reason: 'because', now });
const refusal = (work: () => unknown): CommandRefusedError => {
  try {
    work();
  } catch (err) {
    if (err instanceof CommandRefusedError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};
const probe = (passed: boolean, message: string | null = null) =>
  ev('PermissionProbed', { apiName: 'stk_premarket', passed, tushareCode: passed ? null : 40203, message });

describe('setFlags', () => {
  it('starts from DEFAULT_FLAGS, appends the whole new state with actor and reason, and sets updatedAt to now', () => {
    const decided = set(stateOf(), { p1Enabled: false }, T0 + 1234);
    expect(decided.changed).toBe(true);
    expect(decided.events).toHaveLength(1);
    const [event] = decided.events;
    expect(event?.type).toBe('FlagsChanged');
    expect(event?.actor).toBe('alice');
    expect(event?.occurredAt).toBe(T0 + 1234);
    expect(event?.payload).toEqual({
      flags: { ...DEFAULT_FLAGS, p1Enabled: false, updatedAt: T0 + 1234 },
      reason: 'because',
      restoredFromOffset: null,
    });
  });

  it('refuses premarket on without any probe of stk_premarket, naming the rule', () => {
    const error = refusal(() => set(stateOf(), { p2SpecialPermissionStkPremarketV1: true }));
    expect(error.code).toBe('XASSET_COMMAND_REFUSED');
    expect(error.reasons).toEqual([
      'p2SpecialPermissionStkPremarketV1 needs a passed permission probe of stk_premarket; none is recorded',
    ]);
  });

  it('refuses premarket on when the latest probe failed, even after an earlier pass', () => {
    const error = refusal(() =>
      set(stateOf(probe(true), probe(false, 'no permission')), { p2SpecialPermissionStkPremarketV1: true }),
    );
    expect(error.reasons[0]).toMatch(/latest \(offset 1\) failed: no permission/);
  });

  it('allows premarket on after a passed probe', () => {
    const decided = set(stateOf(probe(false), probe(true)), { p2SpecialPermissionStkPremarketV1: true });
    expect(decided.flags.p2SpecialPermissionStkPremarketV1).toBe(true);
    // Stored on, in force only once the phase record reaches D.
    expect(decided.effective.p2SpecialPermissionStkPremarketV1).toBe(false);
    const inD = {
      ...stateOf(probe(false), probe(true)),
      phases: { ...stateOf().phases, phase: 'D' as const },
    };
    const later = set(inD, { p2SpecialPermissionStkPremarketV1: true });
    expect(later.effective.p2SpecialPermissionStkPremarketV1).toBe(true);
  });

  it('a probe of another api does not count', () => {
    const other = ev('PermissionProbed', { apiName: 'rt_min', passed: true });
    expect(() => set(stateOf(other), { p2SpecialPermissionStkPremarketV1: true })).toThrow(
      CommandRefusedError,
    );
  });

  it('keeps a p2 sub-switch stored but inert while p2Enabled is off', () => {
    const off = set(stateOf(), { p2Enabled: false, p2RealtimeIndexV1: true });
    expect(off.flags).toMatchObject({ p2Enabled: false, p2RealtimeIndexV1: true });
    expect(off.effective).toMatchObject({
      p2Enabled: false,
      p2RealtimeIndexV1: false,
      p2RealtimeEquityEtfV1: false,
    });
  });

  it('rejects unknown switches, non-booleans and a caller-set updatedAt as invalid input', () => {
    for (const changes of [{ p3Enabled: true }, { p0Enabled: 'yes' }, { updatedAt: 5 }]) {
      expect(() => set(stateOf(), changes as FlagChanges)).toThrow(ValidationError);
    }
  });

  it('refuses an empty actor or reason', () => {
    expect(() =>
      decideSetFlags(stateOf(), { changes: { p0Enabled: false }, actor: '', reason: 'x', now: T0 }),
    ).toThrow(ValidationError);
    expect(() =>
      decideSetFlags(stateOf(), { changes: { p0Enabled: false }, actor: 'a', reason: ' ', now: T0 }),
    ).toThrow(ValidationError);
  });

  it('appends nothing when no switch changes value', () => {
    const decided = set(stateOf(), { p0Enabled: DEFAULT_FLAGS.p0Enabled });
    expect(decided).toMatchObject({ changed: false, events: [], flags: DEFAULT_FLAGS });
  });
});

describe('recordProbe', () => {
  it('appends a PermissionProbed for a catalog endpoint', () => {
    const { events } = decideRecordProbe({ apiName: 'stk_premarket', passed: true, actor: 'probe', now: T0 });
    expect(events[0]).toMatchObject({
      type: 'PermissionProbed',
      payload: { apiName: 'stk_premarket', passed: true, tushareCode: null, message: null },
    });
  });

  it('refuses an api_name the catalog does not hold', () => {
    expect(() => decideRecordProbe({ apiName: 'nope', passed: true, actor: 'probe', now: T0 })).toThrow(
      UnknownEndpointError,
    );
  });
});

describe('rollbackFlags', () => {
  const v1 = { ...DEFAULT_FLAGS, p1Enabled: false, updatedAt: T0 + 1 };
  const v2 = { ...DEFAULT_FLAGS, p1Enabled: false, p2Enabled: false, updatedAt: T0 + 2 };
  const v3 = { ...DEFAULT_FLAGS, p0Enabled: false, updatedAt: T0 + 3 };
  const log = logOf([
    ev('RunStarted', {}, T0),
    ev('FlagsChanged', { flags: v1 }, T0 + 1),
    ev('RunHeartbeat', {}, T0 + 1),
    ev('FlagsChanged', { flags: v2 }, T0 + 2),
    ev('FlagsChanged', { flags: v3 }, T0 + 3),
  ]);
  const now = fold(controlReducer, log);
  const input = (to: { offset: number } | { time: number }) => ({
    to,
    actor: 'ops',
    reason: 'roll back',
    now: T0 + 99,
  });

  it('restores the flags in force right after the chosen offset, stamped now, with restoredFromOffset', () => {
    const decided = decideRollbackFlags(now, foldAsOf(log, { offset: 2 }), input({ offset: 2 }));
    expect(decided.events[0]?.payload).toEqual({
      flags: { ...v1, updatedAt: T0 + 99 },
      reason: 'roll back',
      restoredFromOffset: 2,
    });
    expect(decided.restoredFromOffset).toBe(2);
  });

  it('restores by time: the flags of the last change that occurred at or before it', () => {
    const decided = decideRollbackFlags(now, foldAsOf(log, { time: T0 + 2 }), input({ time: T0 + 2 }));
    expect(decided.flags).toEqual({ ...v2, updatedAt: T0 + 99 });
    expect(decided.restoredFromOffset).toBe(3);
  });

  it('restores the defaults of a point before any FlagsChanged', () => {
    const decided = decideRollbackFlags(now, foldAsOf(log, { offset: 0 }), input({ offset: 0 }));
    expect(decided.flags).toEqual({ ...DEFAULT_FLAGS, updatedAt: T0 + 99 });
  });

  it('is refused for a time before the first event', () => {
    expect(() => decideRollbackFlags(now, foldAsOf(log, { time: T0 - 1 }), input({ time: T0 - 1 }))).toThrow(
      CommandRefusedError,
    );
  });

  it('keeps the premarket rule: a restored premarket switch needs a passed probe now', () => {
    const withPremarket = { ...DEFAULT_FLAGS, p2SpecialPermissionStkPremarketV1: true, updatedAt: T0 };
    const history = logOf([
      ev('PermissionProbed', { apiName: 'stk_premarket', passed: true }),
      ev('FlagsChanged', { flags: withPremarket }),
      ev('PermissionProbed', { apiName: 'stk_premarket', passed: false }),
      ev('FlagsChanged', { flags: { ...withPremarket, p2SpecialPermissionStkPremarketV1: false } }),
    ]);
    const current = fold(controlReducer, history);
    expect(() =>
      decideRollbackFlags(current, foldAsOf(history, { offset: 1 }), input({ offset: 1 })),
    ).toThrow(CommandRefusedError);
  });
});

import { endpoint, endpointsForSwitch } from '../../contracts/catalog/index.js';
import { CommandRefusedError, ValidationError } from '../../contracts/errors.js';
import type { ControlEvent } from '../../contracts/events/control.js';
import { FLAG_NAMES, type FlagName, type RolloutFlags, RolloutFlagsV1 } from '../../contracts/flags.js';
import { newControlEvent } from '../log/control-log.js';
import { effectiveSwitches } from '../policy/switches.js';
import type { ControlState } from '../reducers/control.js';
import { type StateAsOf, stateAsOf } from '../replay/as-of.js';
import { type CommandPorts, type CommandResult, requireText, requireTime, runCommand } from './handle.js';

/** Switch changes a caller may ask for; `updatedAt` is the command's to set, never the caller's. */
export type FlagChanges = Partial<Record<FlagName, boolean>>;

const FlagChangesSchema = RolloutFlagsV1.omit({ updatedAt: true }).partial().strict();

/**
 * Switches that may only turn on after a passed permission probe of the special-permission
 * endpoints they enable (DESIGN §6); the api names come from the catalog.
 */
export const PROBE_GATED_SWITCHES: readonly FlagName[] = ['p2SpecialPermissionStkPremarketV1'];

export interface FlagsResult extends CommandResult {
  /** Stored flags after the command (unchanged when nothing was appended). */
  flags: RolloutFlags;
  /** What is in force after the command: the flags AND the phase record (projections/policy/switches.ts). */
  effective: RolloutFlags;
  changed: boolean;
}

export interface SetFlagsInput {
  changes: FlagChanges;
  actor: string;
  reason: string;
  now: number;
}

export function decideSetFlags(state: ControlState, input: SetFlagsInput): Omit<FlagsResult, 'offsets'> {
  requireText({ actor: input.actor, reason: input.reason });
  requireTime(input.now);
  const parsed = FlagChangesSchema.safeParse(input.changes);
  if (!parsed.success) {
    throw new ValidationError(
      'flag changes',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return decideFlags(state, { ...state.flags.current, ...parsed.data }, input, null, 'setFlags');
}

/**
 * The one rule book for every flags change (set, rollback, phase moves): the whole new state must
 * be a valid rollout_flags_v1, probe-gated switches need a passed probe to turn on, and `updatedAt`
 * becomes `now`. A change that changes no switch appends nothing.
 */
export function decideFlags(
  state: ControlState,
  wanted: Omit<RolloutFlags, 'updatedAt'> & { updatedAt?: number },
  context: { actor: string; reason: string; now: number },
  restoredFromOffset: number | null,
  command: string,
): Omit<FlagsResult, 'offsets'> {
  const current = state.flags.current;
  const checked = RolloutFlagsV1.safeParse({ ...wanted, updatedAt: context.now });
  if (!checked.success) {
    throw new ValidationError(
      'rollout flags',
      checked.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const next = checked.data;
  if (!FLAG_NAMES.some((name) => next[name] !== current[name])) {
    return {
      events: [],
      flags: current,
      effective: effectiveSwitches(current, state.phases),
      changed: false,
    };
  }
  const refusals = probeRefusals(state, current, next);
  if (refusals.length > 0) throw new CommandRefusedError(command, refusals, { flags: next });
  const event = newControlEvent(
    'FlagsChanged',
    { flags: next, reason: context.reason, restoredFromOffset },
    { actor: context.actor, now: context.now },
  );
  return { events: [event], flags: next, effective: effectiveSwitches(next, state.phases), changed: true };
}

function probeRefusals(state: ControlState, current: RolloutFlags, next: RolloutFlags): string[] {
  const reasons: string[] = [];
  for (const name of PROBE_GATED_SWITCHES) {
    if (!next[name] || current[name]) continue;
    for (const spec of endpointsForSwitch(name).filter((e) => e.specialPermission)) {
      const probe = Object.hasOwn(state.probes.probes, spec.apiName)
        ? state.probes.probes[spec.apiName]
        : undefined;
      if (!probe) {
        reasons.push(`${name} needs a passed permission probe of ${spec.apiName}; none is recorded`);
      } else if (!probe.passed) {
        reasons.push(
          `${name} needs a passed permission probe of ${spec.apiName}; the latest (offset ${probe.offset}) failed${
            probe.message ? `: ${probe.message}` : ''
          }`,
        );
      }
    }
  }
  return reasons;
}

/** Changes switches; refused (nothing appended) when a rule does not hold. */
export function setFlags(ports: CommandPorts, input: SetFlagsInput): Promise<FlagsResult> {
  return runCommand(ports, (state) => decideSetFlags(state, input));
}

export interface RecordProbeInput {
  apiName: string;
  passed: boolean;
  tushareCode?: number | null;
  message?: string | null;
  actor: string;
  now: number;
}

export function decideRecordProbe(input: RecordProbeInput): { events: ControlEvent[] } {
  requireText({ actor: input.actor });
  requireTime(input.now);
  const { apiName } = endpoint(input.apiName);
  return {
    events: [
      newControlEvent(
        'PermissionProbed',
        {
          apiName,
          passed: input.passed,
          tushareCode: input.tushareCode ?? null,
          message: input.message ?? null,
        },
        input,
      ),
    ],
  };
}

/** Records the outcome of a permission probe of a catalog endpoint (UnknownEndpointError otherwise). */
export function recordProbe(ports: CommandPorts, input: RecordProbeInput): Promise<CommandResult> {
  return runCommand(ports, () => decideRecordProbe(input));
}

export interface RollbackFlagsInput {
  /** An offset of the control log, or a time (ms, compared with events' occurredAt; see AsOf). */
  to: { offset: number } | { time: number };
  actor: string;
  reason: string;
  now: number;
}

export interface RollbackResult extends FlagsResult {
  /** The last offset of the log prefix whose flags were restored. */
  restoredFromOffset: number;
}

/**
 * Appends a FlagsChanged restoring the flags in force at an earlier point, with
 * `restoredFromOffset` = the last offset of that point's prefix. Nothing is deleted: the rollback
 * is one more change, under the same rules as any other (a premarket switch it would turn back on
 * still needs a passed probe now).
 */
export async function rollbackFlags(ports: CommandPorts, input: RollbackFlagsInput): Promise<RollbackResult> {
  requireText({ actor: input.actor, reason: input.reason });
  requireTime(input.now);
  const past = await stateAsOf(ports, input.to);
  return runCommand(ports, (state) => decideRollbackFlags(state, past, input));
}

/** The rollback decided on the current state, given the state of the point rolled back to. */
export function decideRollbackFlags(
  state: ControlState,
  past: StateAsOf,
  input: RollbackFlagsInput,
): Omit<RollbackResult, 'offsets'> {
  if (past.through === null) {
    throw new CommandRefusedError('rollbackFlags', ['no control event at or before that point'], {
      to: input.to,
    });
  }
  const decided = decideFlags(state, past.state.flags.current, input, past.through, 'rollbackFlags');
  return { ...decided, restoredFromOffset: past.through };
}

import type { ControlEvent } from '../../contracts/events/control.js';
import { RolloutFlagsV1 } from '../../contracts/flags.js';
import { newControlEvent } from '../log/control-log.js';
import type { ControlState } from '../reducers/control.js';
import { rollbackBaselineOffset } from '../reducers/flags.js';
import { type CommandPorts, requireText, requireTime, runCommand } from './handle.js';

/**
 * Phase A's baselines (roadmap: 开关基线, 回滚基线), appended once on a fresh store:
 * - the flags baseline: a FlagsChanged putting the flags in force on record, so a rollback has an
 *   offset to return to (the defaults alone have none);
 * - the rollback baseline: a FlagsChanged restoring that offset, so the log shows the rollback
 *   path taken once and every later rollback has a recorded point to go back to.
 * Both leave the switches as they are. Each is appended only while missing, so this is safe to
 * run on every `migrate`.
 */

export interface BaselineInput {
  actor: string;
  now: number;
}

export function decideFlagsBaseline(state: ControlState, input: BaselineInput): { events: ControlEvent[] } {
  requireText({ actor: input.actor });
  requireTime(input.now);
  if (state.flags.offset !== null) return { events: [] };
  const flags = RolloutFlagsV1.parse({ ...state.flags.current, updatedAt: input.now });
  const reason = 'flags baseline (phase A): the switches in force put on record';
  return { events: [newControlEvent('FlagsChanged', { flags, reason, restoredFromOffset: null }, input)] };
}

export function decideRollbackBaseline(
  state: ControlState,
  input: BaselineInput,
): { events: ControlEvent[] } {
  requireText({ actor: input.actor });
  requireTime(input.now);
  const baseline = state.flags.offset;
  if (baseline === null || rollbackBaselineOffset(state.flags) !== null) return { events: [] };
  const flags = RolloutFlagsV1.parse({ ...state.flags.current, updatedAt: input.now });
  const reason = `rollback baseline (phase A): the flags of offset ${baseline} restored, the point later rollbacks return to`;
  return {
    events: [newControlEvent('FlagsChanged', { flags, reason, restoredFromOffset: baseline }, input)],
  };
}

export interface BaselinesResult {
  /** Offsets appended by this call; null where the baseline was already on record. */
  flagsBaseline: number | null;
  rollbackBaseline: number | null;
}

/** Appends whichever baseline is missing, flags first (the rollback baseline restores its offset). */
export async function appendBaselines(ports: CommandPorts, input: BaselineInput): Promise<BaselinesResult> {
  const flags = await runCommand(ports, (state) => decideFlagsBaseline(state, input));
  const rollback = await runCommand(ports, (state) => decideRollbackBaseline(state, input));
  return { flagsBaseline: flags.offsets[0] ?? null, rollbackBaseline: rollback.offsets[0] ?? null };
}

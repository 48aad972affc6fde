import { DEFAULT_FLAGS, type RolloutFlags } from '../../contracts/flags.js';
import type { PhaseRecord } from '../policy/switches.js';
import type { PhaseChange } from '../reducers/history.js';
import { phasesReducer } from '../reducers/phases.js';
import type { ProbeEntry } from '../reducers/probes.js';

/** One FlagsChanged as the flags projection keeps it (`flags_history`): where, when, what. */
export interface FlagsChange {
  offset: number;
  /** The change's occurredAt (ms). */
  at: number;
  flags: RolloutFlags;
}

/** The flags in force on a trade date, and the change that put them there (null: the defaults). */
export interface FlagsOnDate {
  flags: RolloutFlags;
  offset: number | null;
  changedAt: number | null;
}

/** The last millisecond of a trade date in China (UTC+8, no daylight saving): 16:00 UTC that day. */
export function endOfTradeDate(ymd: string): number {
  const year = Number(ymd.slice(0, 4));
  const month = Number(ymd.slice(4, 6));
  const day = Number(ymd.slice(6, 8));
  return Date.UTC(year, month - 1, day, 16) - 1;
}

/**
 * The last entry of `history` (log order) made by the end of trade date `date`: what was in force on
 * it. A day is judged by the switches of that day, so a module switched on later does not turn its
 * earlier days into missing ones, and one switched off later keeps its earlier days judged.
 */
export function inForceOn<E extends { at: number }>(history: readonly E[], date: string): E | undefined {
  const end = endOfTradeDate(date);
  let found: E | undefined;
  for (const entry of history) if (entry.at <= end) found = entry;
  return found;
}

/** The flags in force on `date`, or the defaults before any change. Pure. */
export function flagsOn(history: readonly FlagsChange[], date: string): FlagsOnDate {
  const found = inForceOn(history, date);
  return found
    ? { flags: found.flags, offset: found.offset, changedAt: found.at }
    : { flags: DEFAULT_FLAGS, offset: null, changedAt: null };
}

/** The phase record in force on a trade date, and the phase event that set it (null: none yet, A). */
export interface PhaseOnDate {
  phase: PhaseRecord;
  offset: number | null;
  changedAt: number | null;
}

export function phaseOn(history: readonly PhaseChange[], date: string): PhaseOnDate {
  const found = inForceOn(history, date);
  if (found === undefined) {
    const { phase, frozen, frozenReason } = phasesReducer.initial();
    return { phase: { phase, frozen, frozenReason }, offset: null, changedAt: null };
  }
  return {
    phase: { phase: found.phase, frozen: found.frozen, frozenReason: found.frozenReason },
    offset: found.offset,
    changedAt: found.at,
  };
}

/** The latest probe of `apiName` made by the end of `date`: a later one withdraws an earlier. */
export function probeOn(
  history: readonly ProbeEntry[],
  apiName: string,
  date: string,
): ProbeEntry | undefined {
  return inForceOn(
    history.filter((p) => p.apiName === apiName),
    date,
  );
}

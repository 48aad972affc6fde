import { DEFAULT_FLAGS, type RolloutFlags } from '../../contracts/flags.js';

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
 * What was in force on `date`: the latest change (in log order) made by the end of that trade
 * date, or the defaults before any. A day is judged by the switches of that day, so a module
 * switched on later does not turn its earlier days into missing ones, and one switched off later
 * keeps its earlier days judged. Pure; `history` in offset order.
 */
export function flagsOn(history: readonly FlagsChange[], date: string): FlagsOnDate {
  const end = endOfTradeDate(date);
  let found: FlagsChange | undefined;
  for (const change of history) if (change.at <= end) found = change;
  return found
    ? { flags: found.flags, offset: found.offset, changedAt: found.at }
    : { flags: DEFAULT_FLAGS, offset: null, changedAt: null };
}

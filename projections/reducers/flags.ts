import { DEFAULT_FLAGS, effectiveFlags, type RolloutFlags } from '../../contracts/flags.js';
import { appendingHistory, type Reducer } from './types.js';

export interface FlagsHistoryEntry {
  offset: number;
  flags: RolloutFlags;
  actor: string;
  reason: string;
  restoredFromOffset: number | null;
  at: number;
}

export interface FlagsState {
  /** The stored switches; `DEFAULT_FLAGS` until the first FlagsChanged. */
  current: RolloutFlags;
  /** Offset of the FlagsChanged in force; null while the defaults are. */
  offset: number | null;
  history: readonly FlagsHistoryEntry[];
}

/**
 * Every FlagsChanged carries the whole new state, so the current flags are simply the last one.
 * The log is the record of what was set: the rules (premarket probe, p2 master switch) are the
 * command's to enforce before appending, not this fold's to second-guess afterwards.
 */
export const flagsReducer: Reducer<FlagsState> = appendingHistory<FlagsState>({
  name: 'flags',
  initial: () => ({ current: DEFAULT_FLAGS, offset: null, history: [] }),
  apply(state, event, meta) {
    if (event.type !== 'FlagsChanged') return state;
    const entry: FlagsHistoryEntry = {
      offset: meta.offset,
      flags: event.payload.flags,
      actor: event.actor,
      reason: event.payload.reason,
      restoredFromOffset: event.payload.restoredFromOffset,
      at: event.occurredAt,
    };
    return { current: entry.flags, offset: meta.offset, history: [...state.history, entry] };
  },
});

/** What is in force: the stored switches with the p2 master switch applied. */
export const effectiveOf = (state: FlagsState): RolloutFlags => effectiveFlags(state.current);

/** Offset of the latest FlagsChanged that restored an earlier state (a rollback); null before any. */
export const rollbackBaselineOffset = (state: FlagsState): number | null =>
  [...state.history].reverse().find((entry) => entry.restoredFromOffset !== null)?.offset ?? null;

import type { Reducer } from './types.js';

export interface CursorEntry {
  value: string;
  runId: string | null;
  /** Control-log offset of the event that set it. */
  offset: number;
  at: number;
}

export interface CursorsState {
  cursors: Readonly<Record<string, CursorEntry>>;
  /** CursorAdvanced events found in the log behind the current value: ignored, kept for an alert. */
  regressions: readonly { cursor: string; value: string; current: string; offset: number }[];
}

/**
 * Cursor values are compared as strings: every cursor this project keeps is a YYYYMMDD trade date
 * (or a zero-padded position), for which string order is time order.
 */
export const isForward = (current: string | undefined, next: string): boolean =>
  current === undefined || next > current;

export const cursorsReducer: Reducer<CursorsState> = {
  name: 'cursors',
  initial: () => ({ cursors: {}, regressions: [] }),
  apply(state, event, meta) {
    if (event.type !== 'CursorAdvanced') return state;
    const { cursor, value, runId } = event.payload;
    const current = state.cursors[cursor]?.value;
    if (current === value) return state;
    if (!isForward(current, value)) {
      return {
        ...state,
        regressions: [...state.regressions, { cursor, value, current: current ?? '', offset: meta.offset }],
      };
    }
    return {
      ...state,
      cursors: { ...state.cursors, [cursor]: { value, runId, offset: meta.offset, at: meta.timestamp } },
    };
  },
};

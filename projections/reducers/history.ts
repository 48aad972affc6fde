import type { PhasesState } from './phases.js';
import { phasesReducer } from './phases.js';
import type { ProbeEntry } from './probes.js';
import { probeEntry } from './probes.js';
import { appendingHistory, type Reducer } from './types.js';

/**
 * What the phase and probe projections keep only the latest of, kept as a history, so a past trade
 * date can be judged by the phase and the probes in force on it (projections/matrix/as-of.ts).
 * Each folds the same reducer as its latest-only sibling and records every change it makes.
 */

/** The phase record as a phase event left it; `offset`/`at` are that event's. */
export interface PhaseChange {
  phase: PhasesState['phase'];
  frozen: boolean;
  frozenReason: string | null;
  offset: number;
  at: number;
}

export interface PhaseHistoryState {
  current: PhasesState;
  history: readonly PhaseChange[];
}

export const phaseHistoryReducer: Reducer<PhaseHistoryState> = appendingHistory<PhaseHistoryState>({
  name: 'phaseHistory',
  initial: () => ({ current: phasesReducer.initial(), history: [] }),
  apply(state, event, meta) {
    const next = phasesReducer.apply(state.current, event, meta);
    if (next === state.current || next.offset === null || next.at === null) return state;
    const change: PhaseChange = {
      phase: next.phase,
      frozen: next.frozen,
      frozenReason: next.frozenReason,
      offset: next.offset,
      at: next.at,
    };
    return { current: next, history: [...state.history, change] };
  },
});

export interface ProbeHistoryState {
  history: readonly ProbeEntry[];
}

export const probeHistoryReducer: Reducer<ProbeHistoryState> = appendingHistory<ProbeHistoryState>({
  name: 'probeHistory',
  initial: () => ({ history: [] }),
  apply(state, event, meta) {
    const entry = probeEntry(event, meta);
    return entry === undefined ? state : { history: [...state.history, entry] };
  },
});

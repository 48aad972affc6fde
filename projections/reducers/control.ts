import { type AlertsState, alertsReducer } from './alerts.js';
import { type BudgetsState, budgetsReducer } from './budgets.js';
import { type CursorsState, cursorsReducer } from './cursors.js';
import { type FlagsState, flagsReducer } from './flags.js';
import { type GatesState, gatesReducer } from './gates.js';
import { type GrayHistoryState, type GrayState, grayHistoryReducer, grayReducer } from './gray.js';
import {
  type PhaseHistoryState,
  type ProbeHistoryState,
  phaseHistoryReducer,
  probeHistoryReducer,
} from './history.js';
import { type PhasesState, phasesReducer } from './phases.js';
import { type ProbesState, probesReducer } from './probes.js';
import { type RunsState, runsReducer } from './runs.js';
import { foldFrom, type LoggedEvent, type Reducer } from './types.js';

type StateOf<R> = R extends Reducer<infer S> ? S : never;

/** Several reducers folded side by side over one log; unchanged parts keep their identity. */
export function combine<const R extends Record<string, Reducer<unknown>>>(
  name: string,
  reducers: R,
): Reducer<{ [K in keyof R]: StateOf<R[K]> }> {
  type S = { [K in keyof R]: StateOf<R[K]> };
  const entries = Object.entries(reducers) as [keyof R & string, Reducer<unknown>][];
  return {
    name,
    initial: () => Object.fromEntries(entries.map(([key, r]) => [key, r.initial()])) as S,
    apply(state, event, meta) {
      return applyAll(state, [{ event, meta }]);
    },
    applyAll,
  };

  // Each part sees every event in order whether folded per event or per batch: it may fold its
  // batch at once (see Reducer.applyAll).
  function applyAll(state: S, events: readonly LoggedEvent[]): S {
    let next: S | undefined;
    for (const [key, reducer] of entries) {
      const before = state[key];
      const after = foldFrom(reducer, before, events);
      if (after !== before) {
        next ??= { ...state };
        next[key] = after as S[typeof key];
      }
    }
    return next ?? state;
  }
}

/** Every projection of the control topic, by the name its checkpoint row carries. */
export const PROJECTIONS = {
  cursors: cursorsReducer,
  runs: runsReducer,
  flags: flagsReducer,
  phases: phasesReducer,
  gates: gatesReducer,
  probes: probesReducer,
  alerts: alertsReducer,
  budgets: budgetsReducer,
  gray: grayReducer,
  phaseHistory: phaseHistoryReducer,
  probeHistory: probeHistoryReducer,
  grayHistory: grayHistoryReducer,
} as const;

export type ProjectionName = keyof typeof PROJECTIONS;
export const PROJECTION_NAMES = Object.keys(PROJECTIONS) as ProjectionName[];

export interface ControlState {
  cursors: CursorsState;
  runs: RunsState;
  flags: FlagsState;
  phases: PhasesState;
  gates: GatesState;
  probes: ProbesState;
  alerts: AlertsState;
  budgets: BudgetsState;
  gray: GrayState;
  phaseHistory: PhaseHistoryState;
  probeHistory: ProbeHistoryState;
  grayHistory: GrayHistoryState;
}

/** The whole control plane in one fold: what commands decide on. */
export const controlReducer: Reducer<ControlState> = combine('control', PROJECTIONS);

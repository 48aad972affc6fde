import { appendingHistory, type Reducer } from './types.js';

export interface GateEntry {
  offset: number;
  gate: string;
  passed: boolean;
  asOfTradeDate: string | null;
  cleanDays: number;
  requiredDays: number;
  failures: readonly string[];
  at: number;
}

export interface GatesState {
  /** The latest GateEvaluated per gate. */
  latest: Readonly<Record<string, GateEntry>>;
  /** Every evaluation in log order (the gate_evaluation table). */
  history: readonly GateEntry[];
}

export const gatesReducer: Reducer<GatesState> = appendingHistory<GatesState>({
  name: 'gates',
  initial: () => ({ latest: {}, history: [] }),
  apply(state, event, meta) {
    if (event.type !== 'GateEvaluated') return state;
    const entry: GateEntry = { ...event.payload, offset: meta.offset, at: event.occurredAt };
    return { latest: { ...state.latest, [entry.gate]: entry }, history: [...state.history, entry] };
  },
});

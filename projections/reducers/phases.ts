import type { ControlPayload } from '../../contracts/events/control.js';
import { Phase as PhaseSchema } from '../../contracts/events/control.js';
import type { Reducer } from './types.js';

export type Phase = ControlPayload<'PhaseAdvanced'>['from'];

/** A → B(P0) → C(P1) → D(P2) → E, from the one zod enum. */
export const PHASES: readonly Phase[] = PhaseSchema.options;

export const nextPhase = (phase: Phase): Phase | null => PHASES[PHASES.indexOf(phase) + 1] ?? null;
export const previousPhase = (phase: Phase): Phase | null => PHASES[PHASES.indexOf(phase) - 1] ?? null;

export interface PhasesState {
  phase: Phase;
  /**
   * Set by PhaseFrozen: the phases after `phase` stay closed until PhaseUnfrozen (or, in logs
   * written before that event existed, the next PhaseAdvanced) lifts it.
   */
  frozen: boolean;
  frozenReason: string | null;
  /** Offset and occurredAt of the last phase event applied; null before any. */
  offset: number | null;
  at: number | null;
}

/**
 * The phase machine as recorded. Only moves the machine can make are applied — an advance from
 * the current phase to the next, a freeze of the current phase rolling back to the one before (or
 * staying put) — so an event appended around the commands cannot teleport the phase.
 */
export const phasesReducer: Reducer<PhasesState> = {
  name: 'phases',
  initial: () => ({ phase: 'A', frozen: false, frozenReason: null, offset: null, at: null }),
  apply(state, event, meta) {
    if (event.type === 'PhaseAdvanced') {
      const { from, to } = event.payload;
      if (from !== state.phase || to !== nextPhase(from)) return state;
      return { phase: to, frozen: false, frozenReason: null, offset: meta.offset, at: event.occurredAt };
    }
    if (event.type === 'PhaseUnfrozen') {
      if (!state.frozen || event.payload.phase !== state.phase) return state;
      return { ...state, frozen: false, frozenReason: null, offset: meta.offset, at: event.occurredAt };
    }
    if (event.type === 'PhaseFrozen') {
      const { phase, reason, rolledBackTo } = event.payload;
      if (phase !== state.phase) return state;
      if (rolledBackTo !== null && rolledBackTo !== previousPhase(phase)) return state;
      return {
        phase: rolledBackTo ?? phase,
        frozen: true,
        frozenReason: reason,
        offset: meta.offset,
        at: event.occurredAt,
      };
    }
    return state;
  },
};

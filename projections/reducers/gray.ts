import { type GrayStage, isGrayStage } from '../../contracts/gray.js';
import { appendingHistory, type Reducer } from './types.js';

export interface GrayEntry {
  module: string;
  stage: GrayStage;
  /** The stage before this one; null for a module's first. */
  previous: GrayStage | null;
  action: 'start' | 'promote' | 'rollback' | 'set';
  share: number;
  allowList: readonly string[];
  reason: string;
  evidence: readonly string[];
  /** Offset of the GrayStageChanged: the stage's gate counts runs from here on. */
  offset: number;
  at: number;
}

export interface GrayState {
  /** The stage in force per P2 module; a module absent has not started. */
  modules: Readonly<Record<string, GrayEntry>>;
}

export const grayReducer: Reducer<GrayState> = {
  name: 'gray',
  initial: () => ({ modules: {} }),
  apply(state, event, meta) {
    if (event.type !== 'GrayStageChanged') return state;
    const { module, from, to, action, share, allowList, reason, evidence } = event.payload;
    // The contract keeps stages as text; a stage this code does not know is not folded into state.
    if (!isGrayStage(to)) return state;
    const entry: GrayEntry = {
      module,
      stage: to,
      previous: from !== null && isGrayStage(from) ? from : null,
      action,
      share,
      allowList,
      reason,
      evidence,
      offset: meta.offset,
      at: event.occurredAt,
    };
    return { modules: { ...state.modules, [module]: entry } };
  },
};

/** One GrayStageChanged as the gray_history projection keeps it: which stage, from when. */
export interface GrayHistoryEntry {
  offset: number;
  module: string;
  stage: GrayStage;
  share: number;
  allowList: readonly string[];
  /** The change's occurredAt (ms). */
  at: number;
}

export interface GrayHistoryState {
  /** Every stage change in log order. */
  history: readonly GrayHistoryEntry[];
}

/**
 * Every stage change, not only the last: a promotion fetches its new members from then on, so the
 * status matrix judges each day of a minute module by the stage in force on it.
 */
export const grayHistoryReducer: Reducer<GrayHistoryState> = appendingHistory<GrayHistoryState>({
  name: 'grayHistory',
  initial: () => ({ history: [] }),
  apply(state, event, meta) {
    if (event.type !== 'GrayStageChanged') return state;
    const { module, to, share, allowList } = event.payload;
    if (!isGrayStage(to)) return state;
    const entry: GrayHistoryEntry = {
      offset: meta.offset,
      module,
      stage: to,
      share,
      allowList,
      at: event.occurredAt,
    };
    return { history: [...state.history, entry] };
  },
});

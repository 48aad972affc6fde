import type { Reducer } from './types.js';

export interface ProbeEntry {
  apiName: string;
  passed: boolean;
  tushareCode: number | null;
  message: string | null;
  offset: number;
  at: number;
}

export interface ProbesState {
  /** The latest PermissionProbed per api_name: a later failed probe withdraws an earlier pass. */
  probes: Readonly<Record<string, ProbeEntry>>;
}

export const probesReducer: Reducer<ProbesState> = {
  name: 'probes',
  initial: () => ({ probes: {} }),
  apply(state, event, meta) {
    if (event.type !== 'PermissionProbed') return state;
    const entry: ProbeEntry = { ...event.payload, offset: meta.offset, at: event.occurredAt };
    return { probes: { ...state.probes, [entry.apiName]: entry } };
  },
};

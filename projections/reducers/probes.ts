import type { ControlEvent } from '../../contracts/events/control.js';
import type { EventMeta, Reducer } from './types.js';

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
    const entry = probeEntry(event, meta);
    return entry === undefined ? state : { probes: { ...state.probes, [entry.apiName]: entry } };
  },
};

/** The entry a PermissionProbed makes; undefined for any other event. */
export function probeEntry(event: ControlEvent, meta: EventMeta): ProbeEntry | undefined {
  if (event.type !== 'PermissionProbed') return undefined;
  return { ...event.payload, offset: meta.offset, at: event.occurredAt };
}

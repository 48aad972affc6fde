import type { ControlPayload } from '../../contracts/events/control.js';
import type { Reducer } from './types.js';

export interface AlertEntry {
  offset: number;
  alert: string;
  severity: ControlPayload<'AlertRaised'>['severity'];
  message: string;
  value: number | null;
  threshold: number | null;
  at: number;
}

export interface AlertsState {
  alerts: readonly AlertEntry[];
}

export const alertsReducer: Reducer<AlertsState> = {
  name: 'alerts',
  initial: () => ({ alerts: [] }),
  apply(state, event, meta) {
    if (event.type !== 'AlertRaised') return state;
    return { alerts: [...state.alerts, { ...event.payload, offset: meta.offset, at: event.occurredAt }] };
  },
};

import type { ControlPayload } from '../../contracts/events/control.js';
import type { Reducer } from './types.js';

export interface AlertEntry {
  offset: number;
  alert: string;
  /** `raised`, or `resolved`: a close of the alert of that name (its severity is then `info`). */
  kind: 'raised' | 'resolved';
  severity: ControlPayload<'AlertRaised'>['severity'];
  message: string;
  value: number | null;
  threshold: number | null;
  at: number;
}

export interface AlertsState {
  alerts: readonly AlertEntry[];
}

/**
 * How logs written before AlertResolved closed an alert: an AlertRaised of severity `info` whose
 * message starts `resolved:` (the threshold alerts are warnings or criticals). Read as a close, so
 * an old log folds to the same open alerts as it did.
 */
const closesByConvention = (payload: ControlPayload<'AlertRaised'>): boolean =>
  payload.severity === 'info' && payload.message.startsWith('resolved:');

export const alertsReducer: Reducer<AlertsState> = {
  name: 'alerts',
  initial: () => ({ alerts: [] }),
  apply(state, event, meta) {
    const at = { offset: meta.offset, at: event.occurredAt };
    if (event.type === 'AlertRaised') {
      const kind = closesByConvention(event.payload) ? 'resolved' : 'raised';
      return { alerts: [...state.alerts, { ...event.payload, kind, ...at }] };
    }
    if (event.type === 'AlertResolved') {
      const { alert, message } = event.payload;
      const entry: AlertEntry = {
        alert,
        kind: 'resolved',
        severity: 'info',
        message,
        value: null,
        threshold: null,
        ...at,
      };
      return { alerts: [...state.alerts, entry] };
    }
    return state;
  },
};

import type { ControlEvent, ControlEventType, ControlPayload } from '../../contracts/events/control.js';
import { fold, type Reducer } from '../../projections/reducers/types.js';
import { controlEvent, SAMPLE_PAYLOADS } from '../fixtures/control-events.js';
import { logOf } from './generator.js';

export const T0 = 1_767_225_600_000;

/** An event of `type` from the fixture sample, with fields overridden, occurring at `at`. */
export function ev<T extends ControlEventType>(
  type: T,
  fields: Partial<ControlPayload<T>> = {},
  at = T0,
  actor = 'test',
): ControlEvent {
  const event = controlEvent(type, { ...SAMPLE_PAYLOADS[type], ...fields } as (typeof SAMPLE_PAYLOADS)[T]);
  return { ...event, occurredAt: at, actor };
}

/** Given/when/then for a reducer: the state after the given events and then the new ones. */
export function given<S>(reducer: Reducer<S>, ...history: ControlEvent[]) {
  return {
    when: (...events: ControlEvent[]): S => fold(reducer, logOf([...history, ...events])),
    state: (): S => fold(reducer, logOf(history)),
  };
}

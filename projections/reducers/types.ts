import type { ControlEvent } from '../../contracts/events/control.js';

/** Where an event sits in the control log; reducers stamp state with it, never with wall time. */
export interface EventMeta {
  offset: number;
  /** The log's append timestamp (ms). */
  timestamp: number;
}

/**
 * A projection's pure core: `(state, event) → state`. No I/O, no clock, no randomness, so folding
 * the same log twice gives the same state, and a replay to any offset is just a shorter fold.
 */
export interface Reducer<S> {
  readonly name: string;
  initial(): S;
  apply(state: S, event: ControlEvent, meta: EventMeta): S;
}

export function fold<S>(reducer: Reducer<S>, events: Iterable<{ event: ControlEvent; meta: EventMeta }>): S {
  let state = reducer.initial();
  for (const { event, meta } of events) state = reducer.apply(state, event, meta);
  return state;
}

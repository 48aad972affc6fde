import type { ControlEvent } from '../../contracts/events/control.js';

/** Where an event sits in the control log; reducers stamp state with it, never with wall time. */
export interface EventMeta {
  offset: number;
  /** The log's append timestamp (ms). */
  timestamp: number;
}

/** A control event with its place in the log: what every fold consumes. */
export interface LoggedEvent {
  event: ControlEvent;
  meta: EventMeta;
}

/**
 * A projection's pure core: `(state, event) → state`. No I/O, no clock, no randomness, so folding
 * the same log twice gives the same state, and a replay to any offset is just a shorter fold.
 */
export interface Reducer<S> {
  readonly name: string;
  initial(): S;
  apply(state: S, event: ControlEvent, meta: EventMeta): S;
  /**
   * Folds events in order, to the state `apply` one by one would reach; for a reducer whose
   * per-event copy of its state would make long folds (rebuilds, catch-ups) quadratic.
   */
  applyAll?(state: S, events: readonly LoggedEvent[]): S;
}

export function fold<S>(reducer: Reducer<S>, events: Iterable<{ event: ControlEvent; meta: EventMeta }>): S {
  return foldFrom(reducer, reducer.initial(), events);
}

/** Continues a fold from a state already reached: what a runner does after its checkpoint. */
export function foldFrom<S>(reducer: Reducer<S>, state: S, events: Iterable<LoggedEvent>): S {
  if (reducer.applyAll) return reducer.applyAll(state, Array.isArray(events) ? events : [...events]);
  let next = state;
  for (const { event, meta } of events) next = reducer.apply(next, event, meta);
  return next;
}

/** Shared by every batch fold below: never written to. */
const NO_HISTORY: readonly never[] = Object.freeze([]);

/**
 * A reducer that appends to `history` and never reads it, given an `applyAll` that copies the
 * history once per batch instead of once per event (an append per event over a long log is a
 * quadratic fold). Each event is applied to a state whose history is empty and what it appended is
 * collected, so `apply` stays the one definition of what an event does.
 */
export function appendingHistory<S extends { history: readonly unknown[] }>(
  reducer: Omit<Reducer<S>, 'applyAll'>,
): Reducer<S> {
  return {
    name: reducer.name,
    initial: () => reducer.initial(),
    apply: (state, event, meta) => reducer.apply(state, event, meta),
    applyAll(state, events) {
      const added: unknown[] = [];
      let rest = state;
      for (const { event, meta } of events) {
        const scratch = { ...rest, history: NO_HISTORY };
        const next = reducer.apply(scratch, event, meta);
        if (next === scratch) continue;
        for (const entry of next.history) added.push(entry);
        rest = next;
      }
      return rest === state ? state : { ...rest, history: [...state.history, ...added] };
    },
  };
}

/**
 * A record lookup that ignores inherited keys: run ids and cursor names come from producers, and
 * `runs['constructor']` must not find Object.prototype's.
 */
export function own<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

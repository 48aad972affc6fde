import { NotFoundError, ValidationError } from '../../contracts/errors.js';
import { type ControlLogPorts, controlEnd, readControlBatches } from '../log/control-log.js';
import { type ControlState, controlReducer } from '../reducers/control.js';
import type { RunEntry, RunsState } from '../reducers/runs.js';
import { foldFrom, type LoggedEvent } from '../reducers/types.js';

/**
 * A point in the control log's history:
 * - `offset`: the state right after the event at that offset was applied;
 * - `time` (ms): the events' `occurredAt`, not the log's append time — it is the clock the
 *   commands stamp (`now`, which is also `updatedAt` of the flags) and it survives copying a log.
 *   The state is that of the longest prefix of the log whose events all occurred at or before
 *   `time`: an event stamped later stops the fold, so the result is always a state the log really
 *   went through, even where clocks disagree;
 * - `tradeDate` (YYYYMMDD): the runs whose whole date range ends on or before that trade date
 *   (`toDate`, or `fromDate` when a run names one day), as the gates need to replay a day; runs
 *   without dates are left out. Every other projection is taken at the end of the log.
 */
export type AsOf = { offset: number } | { time: number } | { tradeDate: string };

export interface StateAsOf {
  state: ControlState;
  /** The last offset folded; null when no event precedes the point. */
  through: number | null;
}

/** Folds the part of `events` (a log from offset 0, in order) that `asOf` selects. */
export function foldAsOf(events: Iterable<LoggedEvent>, asOf: AsOf): StateAsOf {
  const fold = new AsOfFold(asOf);
  fold.pushAll(Array.isArray(events) ? events : [...events]);
  return fold.result();
}

/** One streaming fold shared by the in-memory and the log-reading forms. */
class AsOfFold {
  #state = controlReducer.initial();
  #through: number | null = null;
  constructor(readonly asOf: AsOf) {}

  /** Applies the events up to the point in one fold; false once the point is passed (nothing later may be applied). */
  pushAll(events: readonly LoggedEvent[]): boolean {
    let taken = 0;
    while (taken < events.length && this.#selects(events[taken] as LoggedEvent)) taken++;
    if (taken > 0) {
      const within = taken === events.length ? events : events.slice(0, taken);
      this.#state = foldFrom(controlReducer, this.#state, within);
      this.#through = (within[taken - 1] as LoggedEvent).meta.offset;
    }
    return taken === events.length;
  }

  #selects({ event, meta }: LoggedEvent): boolean {
    if ('offset' in this.asOf && meta.offset > this.asOf.offset) return false;
    if ('time' in this.asOf && event.occurredAt > this.asOf.time) return false;
    return true;
  }

  result(): StateAsOf {
    const state =
      'tradeDate' in this.asOf
        ? { ...this.#state, runs: runsAsOfTradeDate(this.#state.runs, this.asOf.tradeDate) }
        : this.#state;
    return { state, through: this.#through };
  }
}

/** The runs a gate replayed at `tradeDate` may count (see `AsOf`). */
export function runsAsOfTradeDate(runs: RunsState, tradeDate: string): RunsState {
  const kept = Object.entries(runs.runs).filter(([, run]) => {
    const last = lastDateOf(run);
    return last !== null && last <= tradeDate;
  });
  return { runs: Object.fromEntries(kept) };
}

const lastDateOf = (run: RunEntry): string | null => run.toDate ?? run.fromDate;

/** Reads the log from the start and folds it as of `asOf`; an offset past the end is NotFound. */
export async function stateAsOf(ports: ControlLogPorts, asOf: AsOf): Promise<StateAsOf> {
  validateAsOf(asOf);
  const end = await controlEnd(ports);
  if ('offset' in asOf && asOf.offset >= end)
    throw new NotFoundError('control log offset', String(asOf.offset));
  const fold = new AsOfFold(asOf);
  const until = 'offset' in asOf ? asOf.offset + 1 : end;
  for await (const batch of readControlBatches(ports, { until })) if (!fold.pushAll(batch)) break;
  return fold.result();
}

function validateAsOf(asOf: AsOf): void {
  const bad = (path: string, message: string) => new ValidationError('as-of point', [{ path, message }]);
  if ('offset' in asOf && (!Number.isSafeInteger(asOf.offset) || asOf.offset < 0)) {
    throw bad('offset', 'a non-negative integer');
  }
  if ('time' in asOf && !Number.isFinite(asOf.time)) throw bad('time', 'milliseconds since the epoch');
  if ('tradeDate' in asOf && !/^\d{8}$/.test(asOf.tradeDate)) throw bad('tradeDate', 'YYYYMMDD');
}

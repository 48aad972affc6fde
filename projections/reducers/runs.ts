import type { ControlEvent, ControlPayload } from '../../contracts/events/control.js';
import { type EventMeta, own, type Reducer } from './types.js';

export type RunStats = ControlPayload<'RunFinished'>['stats'];
export type FinalStatus = ControlPayload<'RunFinished'>['status'];
/** A run is `running` from its RunStarted until a RunFinished closes it (the reaper's included). */
export type RunStatusView = 'running' | FinalStatus;

export interface ModuleResultEntry {
  module: string;
  status: FinalStatus;
  blocking: boolean;
  stats: RunStats;
  error: string | null;
  offset: number;
  at: number;
}

export interface RunEntry {
  runId: string;
  chain: string;
  batch: string | null;
  status: RunStatusView;
  fromDate: string | null;
  toDate: string | null;
  startedAt: number;
  /** The latest sign of life: RunStarted, RunHeartbeat or ModuleResult, by their occurredAt. */
  lastHeartbeat: number;
  finishedAt: number | null;
  heartbeatTimeoutMs: number;
  rowsSoFar: number;
  stats: RunStats | null;
  moduleResults: readonly ModuleResultEntry[];
  error: string | null;
  startedOffset: number;
  /** Why an operator forced the run past the phase rules; null when they applied. Never counts for a gate. */
  forcePhase: string | null;
}

export interface RunsState {
  runs: Readonly<Record<string, RunEntry>>;
}

/**
 * The ingest_runs view. Times are the events' `occurredAt` (the producer's clock, which also drives
 * the heartbeat timeout). The first RunFinished of a run is final: a late `ok` from a process the
 * reaper already declared abandoned is ignored, so a run never changes its verdict after a gate
 * may have counted it. Events about a run id never started are ignored.
 */
export const runsReducer: Reducer<RunsState> = {
  name: 'runs',
  initial: () => ({ runs: {} }),
  apply(state, event, meta) {
    const run = step(state.runs, event, meta);
    return run ? { runs: { ...state.runs, [run.runId]: run } } : state;
  },
  // A copy of every run per event made a fold quadratic (82 % of a 2,000-run rebuild): one copy per
  // batch, then written in place, gives the same state.
  applyAll(state, events) {
    let draft: Record<string, RunEntry> | undefined;
    for (const { event, meta } of events) {
      const run = step(draft ?? state.runs, event, meta);
      if (!run) continue;
      draft ??= { ...state.runs };
      // defineProperty, not `draft[id] =`: a run id of "__proto__" must stay an own key.
      Object.defineProperty(draft, run.runId, {
        value: run,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return draft ? { runs: draft } : state;
  },
};

/** The entry an event makes of its run, or undefined when it changes nothing. */
function step(
  runs: Readonly<Record<string, RunEntry>>,
  event: ControlEvent,
  meta: EventMeta,
): RunEntry | undefined {
  switch (event.type) {
    case 'RunStarted': {
      const p = event.payload;
      if (own(runs, p.runId)) return undefined;
      return {
        runId: p.runId,
        chain: p.chain,
        batch: p.batch,
        status: 'running',
        fromDate: p.fromDate,
        toDate: p.toDate,
        startedAt: event.occurredAt,
        lastHeartbeat: event.occurredAt,
        finishedAt: null,
        heartbeatTimeoutMs: p.heartbeatTimeoutMs,
        rowsSoFar: 0,
        stats: null,
        moduleResults: [],
        error: null,
        startedOffset: meta.offset,
        forcePhase: p.forcePhase ?? null,
      };
    }
    case 'RunHeartbeat': {
      const run = own(runs, event.payload.runId);
      if (run?.status !== 'running') return undefined;
      return {
        ...run,
        lastHeartbeat: Math.max(run.lastHeartbeat, event.occurredAt),
        rowsSoFar: event.payload.rowsSoFar,
      };
    }
    case 'ModuleResult': {
      const p = event.payload;
      const run = own(runs, p.runId);
      if (!run) return undefined;
      const result: ModuleResultEntry = {
        module: p.module,
        status: p.status,
        blocking: p.blocking,
        stats: p.stats,
        error: p.error,
        offset: meta.offset,
        at: event.occurredAt,
      };
      return {
        ...run,
        moduleResults: [...run.moduleResults, result],
        lastHeartbeat:
          run.status === 'running' ? Math.max(run.lastHeartbeat, event.occurredAt) : run.lastHeartbeat,
      };
    }
    case 'RunFinished': {
      const p = event.payload;
      const run = own(runs, p.runId);
      if (run?.status !== 'running') return undefined;
      return {
        ...run,
        status: p.status,
        stats: p.stats,
        error: p.error,
        finishedAt: event.occurredAt,
      };
    }
    default:
      return undefined;
  }
}

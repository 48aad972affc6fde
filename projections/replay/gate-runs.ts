import type { RunView } from '../gates/types.js';
import type { RunEntry } from '../reducers/runs.js';

/**
 * Runs as the gates read them, from a fold (`stateAsOf(…).state.runs.runs`) or the runs table
 * (`readRuns`): with them a gate can be evaluated as of any point of the log, or with a baseline
 * boundary (`evaluateGate({ baseline })`), which the snapshot does not take.
 */
export function gateRuns(runs: Iterable<RunEntry> | Readonly<Record<string, RunEntry>>): RunView[] {
  const list = Symbol.iterator in runs ? [...(runs as Iterable<RunEntry>)] : Object.values(runs);
  return list
    .map((run) => ({
      runId: run.runId,
      chain: run.chain,
      batch: run.batch,
      status: run.status,
      fromDate: run.fromDate,
      toDate: run.toDate,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      lastHeartbeat: run.lastHeartbeat,
      heartbeatTimeoutMs: run.heartbeatTimeoutMs,
      controlOffset: run.startedOffset,
      moduleResults: run.moduleResults.map(({ module, status }) => ({ module, status })),
      forcePhase: run.forcePhase,
    }))
    .sort((a, b) => a.controlOffset - b.controlOffset);
}

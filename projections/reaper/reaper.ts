import type { ControlEvent } from '../../contracts/events/control.js';
import {
  type CommandPorts,
  type CommandResult,
  requireText,
  requireTime,
  runCommand,
} from '../commands/handle.js';
import { newControlEvent } from '../log/control-log.js';
import type { ControlState } from '../reducers/control.js';
import type { RunEntry, RunsState } from '../reducers/runs.js';
import { every, type Loop } from '../runner/loop.js';

export interface StaleRun {
  runId: string;
  chain: string;
  lastHeartbeat: number;
  /** How long the run has been silent at `now`. */
  silentMs: number;
  timeoutMs: number;
}

export interface ReapOptions {
  now: number;
  /** Overrides every run's own `heartbeatTimeoutMs` (from its RunStarted) when given. */
  timeoutMs?: number;
}

/**
 * Runs still `running` whose last sign of life is older than their timeout. Until the reaper's
 * RunFinished lands they are `running` in every view; the gates tell residue from work in progress
 * by the same rule.
 */
export function staleRuns(runs: RunsState, options: ReapOptions): StaleRun[] {
  return Object.values(runs.runs)
    .filter((run) => run.status === 'running')
    .map((run) => ({ run, timeoutMs: options.timeoutMs ?? run.heartbeatTimeoutMs }))
    .filter(({ run, timeoutMs }) => options.now - run.lastHeartbeat > timeoutMs)
    .sort((a, b) => a.run.startedOffset - b.run.startedOffset)
    .map(({ run, timeoutMs }) => ({
      runId: run.runId,
      chain: run.chain,
      lastHeartbeat: run.lastHeartbeat,
      silentMs: options.now - run.lastHeartbeat,
      timeoutMs,
    }));
}

/** What an abandoned run reports: what its heartbeats told, and nothing it cannot know. */
function abandonedStats(run: RunEntry) {
  return {
    requests: 0,
    pages: 0,
    retries: 0,
    rowsFetched: run.rowsSoFar,
    rowsEmitted: run.rowsSoFar,
    errorsByClass: { heartbeat_timeout: 1 },
    durationMs: Math.max(0, run.lastHeartbeat - run.startedAt),
  };
}

export interface ReapInput extends ReapOptions {
  actor?: string;
}

export function decideReap(
  state: ControlState,
  input: ReapInput,
): { events: ControlEvent[]; reaped: StaleRun[] } {
  requireTime(input.now);
  const actor = input.actor ?? 'reaper';
  requireText({ actor });
  const reaped = staleRuns(state.runs, input);
  const events = reaped.map((stale) => {
    const run = state.runs.runs[stale.runId] as RunEntry;
    return newControlEvent(
      'RunFinished',
      {
        runId: stale.runId,
        status: 'abandoned',
        stats: abandonedStats(run),
        error: `no heartbeat for ${stale.silentMs} ms (timeout ${stale.timeoutMs} ms)`,
      },
      { actor, now: input.now },
    );
  });
  return { events, reaped };
}

/** Closes every stale running run as `abandoned` (DESIGN §2, stale running convergence). */
export function reapStaleRuns(
  ports: CommandPorts,
  input: ReapInput,
): Promise<CommandResult & { reaped: StaleRun[] }> {
  return runCommand(ports, (state) => decideReap(state, input));
}

export interface ReaperLoopOptions {
  everyMs: number;
  timeoutMs?: number;
  actor?: string;
  now?: () => number;
  onReaped?: (reaped: StaleRun[]) => void;
  onError?: (err: unknown) => void;
}

/** Reaps every `everyMs` until stopped; a long-lived process passes a shared `view` in `ports`. */
export function followReaper(ports: CommandPorts, options: ReaperLoopOptions): Loop {
  const now = options.now ?? Date.now;
  return every(
    options.everyMs,
    async () => {
      const { reaped } = await reapStaleRuns(ports, {
        now: now(),
        timeoutMs: options.timeoutMs,
        actor: options.actor,
      });
      if (reaped.length > 0) options.onReaped?.(reaped);
    },
    options.onError,
  );
}

import { describe, expect, it } from 'vitest';
import type { ControlEvent } from '../../../contracts/events/control.js';
import { decideReap, staleRuns } from '../../../projections/reaper/reaper.js';
import { controlReducer } from '../../../projections/reducers/control.js';
import { runsReducer } from '../../../projections/reducers/runs.js';
import { fold, foldFrom } from '../../../projections/reducers/types.js';
import { logOf } from '../generator.js';
import { ev, T0 } from '../spec.js';

const start = (runId: string, timeoutMs: number, at = T0) =>
  ev('RunStarted', { runId, heartbeatTimeoutMs: timeoutMs }, at);
const beat = (runId: string, at: number, rowsSoFar = 0) => ev('RunHeartbeat', { runId, rowsSoFar }, at);
const runsOf = (...events: ControlEvent[]) => fold(runsReducer, logOf(events));

describe('the stale-run reaper', () => {
  const log = [
    start('quiet', 60_000, T0), // last sign of life T0
    start('beating', 60_000, T0),
    beat('beating', T0 + 50_000),
    start('patient', 600_000, T0), // its own, longer timeout
    start('done', 60_000, T0),
    ev('RunFinished', { runId: 'done', status: 'ok' }, T0 + 1_000),
    start('edge', 60_000, T0 + 40_000), // exactly at its timeout: not older than it yet
  ];

  it('chooses the running runs silent for longer than their own heartbeat timeout', () => {
    const stale = staleRuns(runsOf(...log), { now: T0 + 100_000 });
    expect(stale).toEqual([
      { runId: 'quiet', chain: 'main', lastHeartbeat: T0, silentMs: 100_000, timeoutMs: 60_000 },
    ]);
  });

  it('counts a run as running, not stale, right up to its timeout', () => {
    expect(staleRuns(runsOf(...log), { now: T0 + 60_000 })).toEqual([]);
    expect(staleRuns(runsOf(...log), { now: T0 + 60_001 }).map((s) => s.runId)).toEqual(['quiet']);
  });

  it('an explicit timeout overrides every run’s own', () => {
    const stale = staleRuns(runsOf(...log), { now: T0 + 100_000, timeoutMs: 30_000 });
    expect(stale.map((s) => s.runId)).toEqual(['quiet', 'beating', 'patient', 'edge']);
  });

  it('closes them as abandoned with the reason, the rows heartbeats reported, and they stay closed', () => {
    const events = [start('r1', 1_000, T0), beat('r1', T0 + 500, 1234)];
    const state = fold(controlReducer, logOf(events));
    const decided = decideReap(state, { now: T0 + 5_000 });
    expect(decided.events).toHaveLength(1);
    expect(decided.events[0]).toMatchObject({
      type: 'RunFinished',
      actor: 'reaper',
      occurredAt: T0 + 5_000,
      payload: {
        runId: 'r1',
        status: 'abandoned',
        error: 'no heartbeat for 4500 ms (timeout 1000 ms)',
        stats: {
          rowsFetched: 1234,
          rowsEmitted: 1234,
          durationMs: 500,
          errorsByClass: { heartbeat_timeout: 1 },
        },
      },
    });
    const after = foldFrom(controlReducer, state, [
      { event: decided.events[0] as ControlEvent, meta: { offset: 2, timestamp: T0 } },
    ]);
    expect(after.runs.runs.r1?.status).toBe('abandoned');
    expect(decideReap(after, { now: T0 + 10_000 }).events).toEqual([]);
  });
});

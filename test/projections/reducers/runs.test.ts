import { describe, expect, it } from 'vitest';
import { runsReducer } from '../../../projections/reducers/runs.js';
import { ev, given, T0 } from '../spec.js';

const started = (runId = 'run-1', at = T0) => ev('RunStarted', { runId, heartbeatTimeoutMs: 60_000 }, at);

describe('runs projection', () => {
  it('given nothing, when a run starts, then it is running with its chain, batch, dates and offset', () => {
    const state = given(runsReducer).when(started());
    expect(state.runs['run-1']).toEqual({
      runId: 'run-1',
      chain: 'main',
      batch: 'p0',
      status: 'running',
      fromDate: '20260105',
      toDate: '20260109',
      startedAt: T0,
      lastHeartbeat: T0,
      finishedAt: null,
      heartbeatTimeoutMs: 60_000,
      rowsSoFar: 0,
      stats: null,
      moduleResults: [],
      error: null,
      startedOffset: 0,
      forcePhase: null,
    });
  });

  it('given a running run, when heartbeats arrive, then the last heartbeat and rows so far move (never back in time)', () => {
    const state = given(runsReducer, started()).when(
      ev('RunHeartbeat', { runId: 'run-1', rowsSoFar: 10 }, T0 + 5_000),
      ev('RunHeartbeat', { runId: 'run-1', rowsSoFar: 20 }, T0 + 3_000),
    );
    expect(state.runs['run-1']).toMatchObject({
      lastHeartbeat: T0 + 5_000,
      rowsSoFar: 20,
      status: 'running',
    });
  });

  it('given a running run, when module results and then RunFinished arrive, then it carries them all', () => {
    const state = given(runsReducer, started()).when(
      ev('ModuleResult', { runId: 'run-1', module: 'index_daily', status: 'failed' }, T0 + 1_000),
      ev('ModuleResult', { runId: 'run-1', module: 'moneyflow', status: 'ok' }, T0 + 2_000),
      ev('RunFinished', { runId: 'run-1', status: 'partial', error: 'index_daily failed' }, T0 + 3_000),
    );
    const run = state.runs['run-1'];
    expect(run?.status).toBe('partial');
    expect(run?.finishedAt).toBe(T0 + 3_000);
    expect(run?.error).toBe('index_daily failed');
    expect(run?.stats?.rowsFetched).toBe(30_000);
    expect(run?.moduleResults.map((m) => [m.module, m.status, m.offset])).toEqual([
      ['index_daily', 'failed', 1],
      ['moneyflow', 'ok', 2],
    ]);
    expect(run?.lastHeartbeat).toBe(T0 + 2_000);
  });

  it('given a run the reaper closed as abandoned, when the late process reports ok, then it stays abandoned', () => {
    const state = given(
      runsReducer,
      started(),
      ev('RunFinished', { runId: 'run-1', status: 'abandoned', error: 'no heartbeat' }, T0 + 100_000),
    ).when(
      ev('RunHeartbeat', { runId: 'run-1', rowsSoFar: 99 }, T0 + 110_000),
      ev('RunFinished', { runId: 'run-1', status: 'ok', error: null }, T0 + 120_000),
    );
    expect(state.runs['run-1']).toMatchObject({
      status: 'abandoned',
      finishedAt: T0 + 100_000,
      rowsSoFar: 0,
    });
  });

  it('given a run, when a second RunStarted with the same id arrives, then the first start stands', () => {
    const state = given(runsReducer, started('run-1', T0)).when(started('run-1', T0 + 9_000));
    expect(state.runs['run-1']?.startedAt).toBe(T0);
  });

  it('when events name a run that never started, then nothing changes (not even for inherited names)', () => {
    const before = given(runsReducer, started()).state();
    const after = given(runsReducer, started()).when(
      ev('RunHeartbeat', { runId: 'ghost' }),
      ev('RunFinished', { runId: 'constructor' }),
      ev('ModuleResult', { runId: 'toString' }),
    );
    expect(after).toEqual(before);
  });
});

import { describe, expect, it } from 'vitest';
import type { ControlEvent, ControlEventType, ControlPayload } from '../../../contracts/events/control.js';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import { type GraySettings, grayEndpoints } from '../../../contracts/gray.js';
import { decideAdvancePhase, PHASE_EXIT_GATES } from '../../../projections/commands/phases.js';
import { decideGrayFailure } from '../../../projections/gray/commands.js';
import { decideGray, grayNotFull, grayView } from '../../../projections/gray/decide.js';
import { newControlEvent } from '../../../projections/log/control-log.js';
import { type ControlState, controlReducer } from '../../../projections/reducers/control.js';
import type { Phase } from '../../../projections/reducers/phases.js';
import { fold, foldFrom } from '../../../projections/reducers/types.js';
import { gateRuns } from '../../../projections/replay/gate-runs.js';
import { at, FEB_2026 } from '../gates/fixtures.js';

const NOW = at('20260225', '18:00');
const SETTINGS: GraySettings = { canaryShare: 0.05, shares: [0.5], requiredDays: 2 };
const stamp = { actor: 'evaluator', now: NOW };
const MODULE = 'p2RealtimeEquityEtfV1';

let offset = 0;
function apply(state: ControlState, events: readonly ControlEvent[]): ControlState {
  return foldFrom(
    controlReducer,
    state,
    events.map((event) => ({ event, meta: { offset: offset++, timestamp: event.occurredAt } })),
  );
}
const ev = <T extends ControlEventType>(type: T, payload: ControlPayload<T>, now = NOW - 1) =>
  newControlEvent(type, payload, { actor: 'test', now });

function inPhase(phase: Phase, flags = DEFAULT_FLAGS): ControlState {
  let state = apply(fold(controlReducer, []), [
    ev('FlagsChanged', { flags: { ...flags, updatedAt: 1 }, reason: 'baseline', restoredFromOffset: null }),
  ]);
  while (state.phases.phase !== phase) {
    const gate = PHASE_EXIT_GATES[state.phases.phase] as string;
    const advanced = decideAdvancePhase(state, {
      actor: 'ops',
      now: NOW - 1,
      gateVerdict: { gate, passed: true, failures: [] },
    });
    state = apply(state, advanced.events);
  }
  return state;
}

let runs = 0;
function moduleRun(
  chain: string,
  date: string,
  status: ControlPayload<'RunFinished'>['status'],
): ControlEvent[] {
  const runId = `run-${++runs}`;
  const startedAt = at(date, '16:00');
  const stats = {
    requests: 1,
    pages: 1,
    retries: 0,
    rowsFetched: 1,
    rowsEmitted: 1,
    errorsByClass: {},
    durationMs: 1,
  };
  return [
    ev(
      'RunStarted',
      { runId, chain, batch: 'p2', fromDate: date, toDate: date, heartbeatTimeoutMs: 120_000 },
      startedAt,
    ),
    ev('RunFinished', { runId, status, stats, error: status === 'ok' ? null : 'boom' }, startedAt + 1_000),
  ];
}

const input = (state: ControlState) => ({ now: NOW, runs: gateRuns(state.runs.runs), openDates: FEB_2026 });
const step = (state: ControlState) => decideGray(state, input(state), SETTINGS, 0.98, stamp);
const probeAll = (module: typeof MODULE) =>
  grayEndpoints(module).map((spec) =>
    ev('PermissionProbed', { apiName: spec.apiName, passed: true, tushareCode: null, message: null }),
  );

describe('gray release policy', () => {
  it('moves nothing before phase D: the P2 switches are not in force', () => {
    const state = inPhase('C');
    expect(step(state).events).toEqual([]);
    expect(
      grayView(state, input(state), SETTINGS, 0.98).every((v) => v.waiting.includes('switch_not_in_force')),
    ).toBe(true);
  });

  it('starts every module in force at probe, and leaves probe only once every endpoint passed its probe', () => {
    let state = inPhase('D');
    const started = step(state);
    // Premarket is off by default: three modules start.
    expect(started.steps.map((s) => [s.module, s.action, s.to])).toEqual([
      ['p2RealtimeIndexV1', 'start', 'probe'],
      ['p2RealtimeEquityEtfV1', 'start', 'probe'],
      ['p2FuturesMicrostructureV1', 'start', 'probe'],
    ]);
    state = apply(state, started.events);
    expect(step(state).events).toEqual([]);
    const view = grayView(state, input(state), SETTINGS, 0.98).find((v) => v.module === MODULE);
    expect(view?.waiting).toEqual(grayEndpoints(MODULE).map((s) => `probe_missing:${s.apiName}`));
    state = apply(state, probeAll(MODULE));
    const promoted = step(state);
    expect(promoted.steps).toMatchObject([
      { module: MODULE, from: 'probe', to: 'canary', action: 'promote' },
    ]);
    state = apply(state, promoted.events);
    expect(state.gray.modules[MODULE]).toMatchObject({ stage: 'canary', share: 0.05, previous: 'probe' });
    expect(grayNotFull(state)).toEqual([
      'gray_not_full:p2RealtimeIndexV1:probe',
      'gray_not_full:p2RealtimeEquityEtfV1:canary',
      'gray_not_full:p2FuturesMicrostructureV1:probe',
    ]);
  });

  it('promotes a stage after N clean days of its own runs since the stage began, up to full', () => {
    let state = inPhase('D');
    state = apply(state, step(state).events);
    state = apply(state, probeAll(MODULE));
    state = apply(state, step(state).events); // canary
    // Runs before the stage do not count: the gate waits for days of its own.
    expect(step(state).steps).toEqual([]);
    state = apply(state, [...moduleRun(MODULE, '20260224', 'ok'), ...moduleRun(MODULE, '20260225', 'ok')]);
    const up = step(state);
    expect(up.steps).toMatchObject([{ module: MODULE, from: 'canary', to: 'share:50', action: 'promote' }]);
    state = apply(state, up.events);
    // The same runs are before share:50 began: it needs days of its own again.
    expect(step(state).steps).toEqual([]);
    state = apply(state, [...moduleRun(MODULE, '20260224', 'ok'), ...moduleRun(MODULE, '20260225', 'ok')]);
    state = apply(state, step(state).events);
    expect(state.gray.modules[MODULE]?.stage).toBe('full');
    const view = grayView(state, input(state), SETTINGS, 0.98).find((v) => v.module === MODULE);
    expect(view?.waiting).toEqual(['stage_full']);
  });

  it("steps a failing module back and switches only it off; the main chain's flags stay", () => {
    let state = inPhase('D');
    state = apply(state, step(state).events);
    state = apply(state, probeAll(MODULE));
    state = apply(state, step(state).events); // canary
    state = apply(state, [...moduleRun(MODULE, '20260224', 'ok'), ...moduleRun(MODULE, '20260225', 'ok')]);
    state = apply(state, step(state).events); // share:50
    state = apply(state, moduleRun(MODULE, '20260225', 'failed'));
    const back = step(state);
    expect(back.steps).toMatchObject([
      { module: MODULE, from: 'share:50', to: 'canary', action: 'rollback' },
    ]);
    expect(back.events.map((e) => e.type)).toEqual(['GrayStageChanged', 'FlagsChanged']);
    state = apply(state, back.events);
    expect(state.gray.modules[MODULE]?.stage).toBe('canary');
    expect(state.flags.current).toMatchObject({
      [MODULE]: false,
      p0Enabled: true,
      p1Enabled: true,
      p2Enabled: true,
    });
    // Switched off, it neither moves nor counts against phase D's exit.
    expect(step(state).steps.filter((s) => s.module === MODULE)).toEqual([]);
    expect(grayNotFull(state).some((c) => c.includes(MODULE))).toBe(false);
  });

  it("the daily job's step back after a failed run: one stage down with the run as evidence", () => {
    let state = inPhase('D');
    state = apply(state, step(state).events);
    expect(
      decideGrayFailure(state, {
        module: MODULE,
        runId: 'r1',
        error: 'x',
        actor: 'job',
        reason: 'failed',
        now: NOW,
        settings: SETTINGS,
      }).step,
    ).toBeNull();
    state = apply(state, probeAll(MODULE));
    state = apply(state, step(state).events); // canary
    const failed = decideGrayFailure(state, {
      module: MODULE,
      runId: 'r1',
      error: 'refused',
      actor: 'job',
      reason: 'failed',
      now: NOW,
      settings: SETTINGS,
    });
    expect(failed.step).toMatchObject({ from: 'canary', to: 'probe', evidence: ['run_failed:r1:refused'] });
    state = apply(state, failed.events);
    expect(state.flags.current[MODULE]).toBe(false);
  });
});

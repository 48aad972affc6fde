import { describe, expect, it } from 'vitest';
import { rawTopic } from '../../../contracts/catalog/index.js';
import { loadConfig } from '../../../contracts/config.js';
import type { ControlEvent, ControlEventType, ControlPayload } from '../../../contracts/events/control.js';
import { ALERTS, currentConditions } from '../../../projections/alerts/evaluate.js';
import { buildGateSnapshot } from '../../../projections/api/gate-snapshot.js';
import type { GateSnapshot } from '../../../projections/api/schemas.js';
import { CURSOR_REGRESSION_ALERT } from '../../../projections/commands/cursors.js';
import { decideAdvancePhase, PHASE_EXIT_GATES } from '../../../projections/commands/phases.js';
import { evaluateFoundation, type FoundationInput } from '../../../projections/gates/phases.js';
import type { CoveragePoint } from '../../../projections/gates/types.js';
import { newControlEvent } from '../../../projections/log/control-log.js';
import {
  decideEvaluation,
  type Observation,
  openAlerts,
  sameVerdict,
  settledThrough,
} from '../../../projections/policy/decide.js';
import { type ControlState, controlReducer } from '../../../projections/reducers/control.js';
import type { Phase } from '../../../projections/reducers/phases.js';
import type { RunEntry } from '../../../projections/reducers/runs.js';
import { fold, foldFrom } from '../../../projections/reducers/types.js';
import { gateRuns } from '../../../projections/replay/gate-runs.js';
import { at, coverage, FEB_2026, P0_MODULES, THRESHOLDS } from '../gates/fixtures.js';

const alerts = loadConfig({}).alerts;
const NOW = at('20260225', '18:00');
const CONSUMER = 'xasset-processor';
const context = { alerts, actor: 'evaluator', now: NOW };

let offset = 0;
/** Applies events the way the log would, so a round can follow the previous one. */
function apply(state: ControlState, events: readonly ControlEvent[]): ControlState {
  return foldFrom(
    controlReducer,
    state,
    events.map((event) => ({ event, meta: { offset: offset++, timestamp: event.occurredAt } })),
  );
}
const ev = <T extends ControlEventType>(type: T, payload: ControlPayload<T>, now: number) =>
  newControlEvent(type, payload, { actor: 'producer', now });

let runs = 0;
/** A main-chain run proving `date`, started that day at 10:00; `running` leaves it open. */
function mainRun(
  date: string,
  status: ControlPayload<'RunFinished'>['status'] | 'running',
  batch: string | null = 'p0',
  chain = 'main',
): ControlEvent[] {
  const runId = `run-${++runs}`;
  const startedAt = at(date, '10:00');
  const started = ev(
    'RunStarted',
    { runId, chain, batch, fromDate: date, toDate: date, heartbeatTimeoutMs: 120_000 },
    startedAt,
  );
  if (status === 'running') return [started];
  const stats = {
    requests: 1,
    pages: 1,
    retries: 0,
    rowsFetched: 1,
    rowsEmitted: 1,
    errorsByClass: {},
    durationMs: 1,
  };
  return [started, ev('RunFinished', { runId, status, stats, error: null }, startedAt + 60_000)];
}

/** Three clean P0 sessions up to today: the p0 gate holds on the natural clock. */
const cleanWeek = () => ['20260223', '20260224', '20260225'].flatMap((d) => mainRun(d, 'ok'));

const snapshotOf = (state: ControlState, points: readonly CoveragePoint[] = coverage(P0_MODULES)) =>
  buildGateSnapshot({
    asOfTradeDate: null,
    now: NOW,
    thresholds: THRESHOLDS,
    runs: gateRuns(state.runs.runs),
    coverage: points,
    openDates: FEB_2026,
    cursors: [],
  });

const processed = (lag: Record<string, number> = {}): NonNullable<Observation['processor']> => ({
  consumer: CONSUMER,
  lagByTopic: { ...Object.fromEntries(P0_MODULES.map((m) => [rawTopic(m), 0])), ...lag },
});

function observe(
  state: ControlState,
  options: { points?: CoveragePoint[]; processor?: Observation['processor'] } = {},
): Observation {
  const points = options.points ?? coverage(P0_MODULES);
  return {
    snapshot: snapshotOf(state, points),
    coverage: points,
    processor: options.processor === undefined ? processed() : options.processor,
  };
}

function inPhase(phase: Phase, events: ControlEvent[] = cleanWeek()): ControlState {
  let state = apply(fold(controlReducer, []), events);
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

/** The foundation entry of a snapshot, as buildGateSnapshot makes it. */
const foundationVerdict = (input: FoundationInput) => {
  const verdict = evaluateFoundation(input);
  return { ...verdict, failures: [...verdict.failures] };
};
const types = (events: readonly ControlEvent[]) => events.map((e) => e.type);
const gateOf = (snapshot: GateSnapshot, gate: string) => snapshot.gates.find((g) => g.gate === gate);

describe('decideEvaluation: gate verdicts', () => {
  it('records every gate of the snapshot as it stands, then nothing while no verdict changes', () => {
    const state = inPhase('A');
    const observation = observe(state);
    const first = decideEvaluation(state, observation, context);

    expect(first.recorded).toEqual(
      observation.snapshot.gates.map((g) => ({
        gate: g.gate,
        passed: g.passed,
        asOfTradeDate: g.asOfTradeDate,
        cleanDays: g.cleanDays,
        requiredDays: g.requiredDays,
        failures: g.failures,
      })),
    );
    expect(first.events.filter((e) => e.type === 'GateEvaluated').map((e) => e.payload)).toEqual(
      first.recorded,
    );
    expect(first.events.every((e) => e.actor === 'evaluator' && e.occurredAt === NOW)).toBe(true);

    const after = apply(state, first.events);
    expect(decideEvaluation(after, observe(after), context).events).toEqual([]);
  });

  it('records again only the gates whose verdict changed', () => {
    const before = inPhase('A');
    const settled = apply(before, decideEvaluation(before, observe(before), context).events);
    const previous = snapshotOf(settled);
    // A recovery module's own failed run: only its wave's gate looks at it.
    const state = apply(settled, mainRun('20260225', 'failed', null, 'index_daily'));
    const current = snapshotOf(state);
    const changed = current.gates
      .filter((g) => {
        const was = gateOf(previous, g.gate);
        return (
          was?.passed !== g.passed ||
          was.cleanDays !== g.cleanDays ||
          was.failures.join() !== g.failures.join()
        );
      })
      .map((g) => g.gate);

    const decided = decideEvaluation(state, observe(state), context);
    expect(changed).toEqual(['wave:index_daily']);
    expect(decided.recorded.map((r) => r.gate)).toEqual(changed);
  });

  it('compares passed, clean days, required days and failures, whatever their order or as-of date', () => {
    const latest = {
      offset: 3,
      gate: 'p0',
      passed: false,
      asOfTradeDate: '20260224',
      cleanDays: 1,
      requiredDays: 3,
      failures: ['a', 'b'],
      at: NOW,
    };
    const next = { ...latest, asOfTradeDate: '20260225', failures: ['b', 'a'] };
    expect(sameVerdict(latest, next)).toBe(true);
    expect(sameVerdict(latest, { ...next, cleanDays: 2 })).toBe(false);
    expect(sameVerdict(latest, { ...next, requiredDays: 4 })).toBe(false);
    expect(sameVerdict(latest, { ...next, failures: ['a'] })).toBe(false);
    expect(sameVerdict(undefined, next)).toBe(false);
  });
});

describe('decideEvaluation: alerts', () => {
  it('raises a condition once while it is open, closes it when it clears, raises it again when it returns', () => {
    // A main run silent past its heartbeat timeout: running residue.
    let state = inPhase('A', [...cleanWeek(), ...mainRun('20260225', 'running')]);
    const observation = observe(state);
    expect(observation.snapshot.runningResidue).toBeGreaterThan(alerts.maxRunningResidue);

    const raised = decideEvaluation(state, observation, context);
    const [expected] = currentConditions({
      runs: [],
      coverage: [],
      residue: observation.snapshot.runningResidue,
      consumerLag: {},
      thresholds: alerts,
    });
    expect(raised.raised).toEqual([expected]);
    expect(raised.events.filter((e) => e.type === 'AlertRaised').map((e) => e.payload)).toEqual([expected]);
    state = apply(state, raised.events);
    expect([...openAlerts(state.alerts).keys()]).toEqual([ALERTS.residue]);
    expect(decideEvaluation(state, observe(state), context).raised).toEqual([]);

    // The reaper closes the run: the residue is gone and the alert is closed, once.
    const runId = Object.values(state.runs.runs).find((r) => r.status === 'running')?.runId as string;
    state = apply(state, [
      ev(
        'RunFinished',
        {
          runId,
          status: 'abandoned',
          stats: {
            requests: 0,
            pages: 0,
            retries: 0,
            rowsFetched: 0,
            rowsEmitted: 0,
            errorsByClass: {},
            durationMs: 0,
          },
          error: 'no heartbeat',
        },
        NOW - 1,
      ),
    ]);
    const cleared = decideEvaluation(state, observe(state), context);
    expect(cleared.resolved).toEqual([ALERTS.residue]);
    expect(cleared.events.filter((e) => e.type === 'AlertRaised')).toEqual([]);
    const close = cleared.events.find((e) => e.type === 'AlertResolved');
    const raisedAt = openAlerts(state.alerts).get(ALERTS.residue)?.offset;
    expect(close?.payload).toMatchObject({ alert: ALERTS.residue, raisedAtOffset: raisedAt });
    state = apply(state, cleared.events);
    expect(openAlerts(state.alerts).size).toBe(0);
    const quiet = decideEvaluation(state, observe(state), context);
    expect([...quiet.raised, ...quiet.resolved]).toEqual([]);

    state = apply(state, mainRun('20260225', 'running'));
    expect(decideEvaluation(state, observe(state), context).raised.map((a) => a.alert)).toEqual([
      ALERTS.residue,
    ]);
  });

  it('alerts the processor lag summed over its topics, and leaves the alert open while the lag is unknown', () => {
    let state = inPhase('A');
    const lag = { [rawTopic('daily')]: alerts.maxConsumerLag, [rawTopic('fund_daily')]: 1 };
    const decided = decideEvaluation(state, observe(state, { processor: processed(lag) }), context);
    const lagAlert = decided.raised.find((a) => a.alert === ALERTS.consumerLag(CONSUMER));
    expect(lagAlert?.value).toBe(alerts.maxConsumerLag + 1);
    state = apply(state, decided.events);

    const unknown = decideEvaluation(state, observe(state, { processor: null }), context);
    expect(unknown.resolved).toEqual([]);
    const caughtUp = decideEvaluation(state, observe(state), context);
    expect(caughtUp.resolved).toEqual([ALERTS.consumerLag(CONSUMER)]);
  });

  it('judges coverage only on days a finished run covered and only once the processor stored its topic', () => {
    const points = coverage(P0_MODULES, FEB_2026, { '20260225|daily': 0.5 });
    const low = (state: ControlState, processor = processed()) =>
      decideEvaluation(state, observe(state, { points, processor }), context).raised.filter((a) =>
        a.alert.startsWith(ALERTS.coverage('')),
      );

    const settled = inPhase('A');
    expect(low(settled)).toEqual(
      currentConditions({
        runs: [],
        coverage: points.filter((p) => p.module === 'daily'),
        residue: 0,
        consumerLag: {},
        thresholds: alerts,
      }),
    );
    expect(low(settled)[0]?.alert).toBe(ALERTS.coverage('daily'));
    // The raw daily topic still has records to store: its coverage says nothing yet.
    expect(low(settled, processed({ [rawTopic('daily')]: 3 }))).toEqual([]);
    // The 25th's run has not finished: the 24th is the latest day judged, and it is complete.
    const unsettled = inPhase(
      'A',
      ['20260223', '20260224'].flatMap((d) => mainRun(d, 'ok')).concat(mainRun('20260225', 'running')),
    );
    expect(low(unsettled)).toEqual([]);
  });

  it('never closes alerts it does not raise', () => {
    let state = inPhase('A');
    state = apply(state, [
      ev(
        'AlertRaised',
        {
          alert: CURSOR_REGRESSION_ALERT,
          severity: 'warning',
          message: 'moved back',
          value: 7,
          threshold: null,
        },
        NOW - 1,
      ),
    ]);
    const decided = decideEvaluation(state, observe(state), context);
    expect(decided.resolved).toEqual([]);
    expect(openAlerts(state.alerts).has(CURSOR_REGRESSION_ALERT)).toBe(true);
  });
});

describe('decideEvaluation: regressions', () => {
  it('a gate passed on the way here failing with a blocking run freezes the phase and rolls its batch back', () => {
    const state = inPhase('C', [...cleanWeek(), ...mainRun('20260225', 'failed')]);
    expect(state.flags.current.p1Enabled).toBe(true);
    const observation = observe(state);
    expect(gateOf(observation.snapshot, 'p0')?.passed).toBe(false);

    const decided = decideEvaluation(state, observation, context);
    expect(decided.freeze).toMatchObject({ phase: 'C', gates: ['p0'] });
    const frozen = decided.events.find((e) => e.type === 'PhaseFrozen');
    if (frozen?.type !== 'PhaseFrozen') throw new Error('no PhaseFrozen decided');
    expect(frozen.payload).toMatchObject({ phase: 'C', rolledBackTo: 'B' });
    expect(frozen.payload.reason).toContain('blocking_run_failed:20260225');
    expect(types(decided.events).slice(-2)).toEqual(['PhaseFrozen', 'FlagsChanged']);

    const after = apply(state, decided.events);
    expect(after.phases).toMatchObject({ phase: 'B', frozen: true });
    expect(after.flags.current.p1Enabled).toBe(false);
    // Back in B, p0 is the gate to pass again, not one passed: nothing more to freeze.
    const next = decideEvaluation(after, observe(after), context);
    expect(next.freeze).toBeNull();
    expect(types(next.events)).not.toContain('PhaseFrozen');
  });

  it('the foundation regressing in B (a migration the store lost) freezes back to A and switches P0 off', () => {
    const state = inPhase('B');
    const foundation = {
      migrationsPending: ['017_alert_kind'],
      topicsMissing: [],
      flagsOffset: 0,
      rollbackOffset: 1,
    };
    const holding = observe(state);
    expect(holding.snapshot.foundation).toBeNull();
    const broken = {
      ...holding,
      snapshot: { ...holding.snapshot, foundation: foundationVerdict(foundation) },
    };
    expect(broken.snapshot.foundation).toEqual({
      gate: 'foundation',
      passed: false,
      failures: ['migration_pending:017_alert_kind'],
    });
    const decided = decideEvaluation(state, broken, context);
    expect(decided.freeze).toEqual({
      phase: 'B',
      gates: ['foundation'],
      reason: 'gate foundation regressed: migration_pending:017_alert_kind',
    });
    const after = apply(state, decided.events);
    expect(after.phases).toMatchObject({ phase: 'A', frozen: true });
    expect(after.flags.current.p0Enabled).toBe(false);
    // Holding again: nothing to freeze (A has passed no gate).
    const repaired = {
      ...holding,
      snapshot: {
        ...holding.snapshot,
        foundation: foundationVerdict({ ...foundation, migrationsPending: [] }),
      },
    };
    expect(decideEvaluation(state, repaired, context).freeze).toBeNull();
  });

  it('a gate failing because work is still in progress freezes nothing', () => {
    // A second run of the day, still running and within its heartbeat: run_unfinished, not a failure.
    const state = inPhase('C', [...cleanWeek(), ...mainRun('20260225', 'running')]);
    const now = at('20260225', '10:01');
    const snapshot = buildGateSnapshot({
      asOfTradeDate: null,
      now,
      thresholds: THRESHOLDS,
      runs: gateRuns(state.runs.runs),
      coverage: coverage(P0_MODULES),
      openDates: FEB_2026,
      cursors: [],
    });
    const live = { ...observe(state), snapshot };
    const p0 = gateOf(live.snapshot, 'p0');
    expect(p0?.passed).toBe(false);
    expect(p0?.failures).toContain('run_unfinished:20260225');
    expect(decideEvaluation(state, live, { ...context, now }).freeze).toBeNull();
  });

  it('does not freeze on a gate the phase has not passed yet', () => {
    const state = inPhase('B', [...cleanWeek(), ...mainRun('20260225', 'failed')]);
    expect(gateOf(observe(state).snapshot, 'p0')?.passed).toBe(false);
    expect(decideEvaluation(state, observe(state), context).freeze).toBeNull();
  });

  it('low coverage is a regression only on a day whose rows the processor has stored', () => {
    const state = inPhase('C');
    const points = coverage(P0_MODULES, FEB_2026, { '20260225|daily': 0.5 });
    const pending = observe(state, { points, processor: processed({ [rawTopic('daily')]: 1 }) });
    expect(gateOf(pending.snapshot, 'p0')?.passed).toBe(false);
    expect(decideEvaluation(state, pending, context).freeze).toBeNull();

    const stored = observe(state, { points });
    const decided = decideEvaluation(state, stored, context);
    expect(decided.freeze?.gates).toEqual(['p0']);
    expect(decided.freeze?.reason).toContain('coverage_below:20260225:daily');
  });
});

type SettledRun = Pick<RunEntry, 'chain' | 'batch' | 'status' | 'fromDate' | 'toDate' | 'moduleResults'>;

describe('settledThrough', () => {
  it('is the last day a finished run working on the module covered', () => {
    const run = (over: Partial<SettledRun>): SettledRun => ({
      chain: 'main',
      batch: 'p0',
      status: 'ok',
      fromDate: '20260223',
      toDate: '20260223',
      moduleResults: [],
      ...over,
    });
    expect(settledThrough([run({}), run({ toDate: '20260225', status: 'running' })], 'daily')).toBe(
      '20260223',
    );
    expect(settledThrough([run({ batch: 'p1', toDate: '20260225' })], 'daily')).toBeNull();
    expect(settledThrough([run({ batch: null, toDate: '20260224' })], 'fx_daily')).toBe('20260224');
    expect(settledThrough([run({ toDate: '20260225' })], 'index_daily')).toBeNull();
    expect(
      settledThrough([run({ chain: 'index_daily', batch: null, status: 'failed' })], 'index_daily'),
    ).toBe('20260223');
  });
});

import { describe, expect, it } from 'vitest';
import { chinaDate } from '../../../contracts/dates.js';
import { ValidationError } from '../../../contracts/errors.js';
import { GateEvaluated } from '../../../contracts/events/control.js';
import { countRunningResidue, evaluateGate, toGateEvaluated } from '../../../projections/gates/evaluate.js';
import { batchCoverageModules } from '../../../projections/gates/scope.js';
import type { GateInput } from '../../../projections/gates/types.js';
import { at, coverage, FEB_2026, P0_MODULES, run, THRESHOLDS } from './fixtures.js';

const p0 = (overrides: Partial<GateInput> & Pick<GateInput, 'runs' | 'now'>) =>
  evaluateGate({
    gate: 'p0',
    coverage: coverage(P0_MODULES),
    openDates: FEB_2026,
    thresholds: THRESHOLDS,
    ...overrides,
  });

describe('evaluateGate: the roadmap story', () => {
  // Saturday 2026-02-21, after the Spring Festival week: three replays of 02-11/12/13 run in one day.
  const saturday = '20260221';
  const replays = ['20260211', '20260212', '20260213'].map((day, i) =>
    run({ startedAt: at(saturday, `1${i}:00`), fromDate: day, toDate: day }),
  );

  it('given three replays of three trade dates on one real day, then as-of is 3/3, natural 1/3, and the replay proves the gate', () => {
    const verdict = p0({ runs: replays, now: at(saturday, '18:00') });
    expect(verdict.cleanAsOfTradeDateProgress).toBe('3/3');
    expect(verdict.cleanDayProgress).toBe('1/3');
    expect(verdict.passed).toBe(true);
    expect(verdict.provenBy).toBe('as_of');
    expect(verdict.cleanDays).toBe(3);
    expect(verdict.failures).toEqual([]);
    expect(verdict.asOfTradeDate).toBe('20260213');
    // The three runs on one real day are one natural day: the last session before that Saturday.
    expect(verdict.days.natural[0]).toMatchObject({ tradeDate: '20260213', runs: 3, clean: true });
    expect(verdict.days.natural[1]).toMatchObject({ tradeDate: '20260212', runs: 0, clean: false });
    expect(verdict.days.asOf.map((d) => [d.tradeDate, d.runs, d.clean])).toEqual([
      ['20260213', 1, true],
      ['20260212', 1, true],
      ['20260211', 1, true],
    ]);
  });

  it('given the same replays but as-of proof not allowed, then the natural clock decides: 1/3 and not passed', () => {
    const verdict = p0({ runs: replays, now: at(saturday, '18:00'), allowAsOfProof: false });
    expect(verdict.passed).toBe(false);
    expect(verdict.cleanDays).toBe(1);
    expect(verdict.failures).toEqual(['no_runs:20260212', 'clean_days_below_required']);
  });

  it('given a blocking failure on the natural clock, then replays cannot stand in for it', () => {
    const failedToday = run({ startedAt: at(saturday, '16:00'), toDate: '20260213', status: 'failed' });
    const verdict = p0({ runs: [...replays, failedToday], now: at(saturday, '18:00') });
    expect(verdict.passed).toBe(false);
    expect(verdict.cleanDayProgress).toBe('0/3');
    expect(verdict.failures).toContain('blocking_run_failed:20260213');
  });
});

describe('evaluateGate: the natural clock', () => {
  const daily = ['20260210', '20260211', '20260212', '20260213'].map((day) =>
    run({ startedAt: at(day, '18:00'), toDate: day }),
  );

  it('given a clean run on each of three consecutive sessions, then it passes on the natural clock', () => {
    const verdict = p0({ runs: daily.slice(1), now: at('20260213', '20:00') });
    expect(verdict).toMatchObject({
      passed: true,
      provenBy: 'natural',
      cleanDayProgress: '3/3',
      cleanDays: 3,
    });
  });

  it("given today's run has not happened yet, then today is pending and neither counts nor breaks the streak", () => {
    const verdict = p0({ runs: daily.slice(1), now: at('20260223', '09:00') });
    expect(verdict.days.natural[0]).toMatchObject({ tradeDate: '20260223', pending: true, runs: 0 });
    expect(verdict.cleanDayProgress).toBe('3/3');
    expect(verdict.passed).toBe(true);
  });

  it('given a session in the middle without any run, then the count stops there', () => {
    const gap = [daily[0], daily[1], daily[3]].filter((r) => r !== undefined);
    const verdict = p0({ runs: gap, now: at('20260213', '20:00'), allowAsOfProof: false });
    expect(verdict.cleanDayProgress).toBe('1/3');
    expect(verdict.failures).toEqual(['no_runs:20260212', 'clean_days_below_required']);
  });

  it('given three runs on one day proving the same trade date, then both clocks say 1/3', () => {
    const sameDay = [1, 2, 3].map((i) => run({ startedAt: at('20260213', `1${i}:00`), toDate: '20260213' }));
    const verdict = p0({ runs: sameDay, now: at('20260213', '20:00') });
    expect(verdict.cleanDayProgress).toBe('1/3');
    expect(verdict.cleanAsOfTradeDateProgress).toBe('1/3');
    expect(verdict.passed).toBe(false);
  });

  it('maps wall-clock time to Beijing dates', () => {
    expect(chinaDate(Date.parse('2026-02-12T16:30:00Z'))).toBe('20260213');
    expect(chinaDate(Date.parse('2026-02-12T15:59:59Z'))).toBe('20260212');
  });
});

describe('evaluateGate: baseline, residue, scope', () => {
  const days = ['20260211', '20260212', '20260213'];
  const clean = days.map((day) => run({ startedAt: at(day, '18:00'), toDate: day }));
  const oldFailure = {
    ...run({ startedAt: at('20260212', '09:00'), toDate: '20260212', status: 'failed' }),
    controlOffset: 5,
  };
  const now = at('20260213', '20:00');

  it('given a failed run before the baseline offset, then it does not count; without the baseline it blocks', () => {
    const runs = [...clean, oldFailure];
    expect(p0({ runs, now, baseline: { offset: 100 } }).passed).toBe(true);
    const unbounded = p0({ runs, now });
    expect(unbounded.passed).toBe(false);
    expect(unbounded.failures).toContain('blocking_run_failed:20260212');
  });

  it('given a baseline time, then runs started before it do not count', () => {
    const morningFailure = run({ startedAt: at('20260211', '09:00'), toDate: '20260211', status: 'failed' });
    const runs = [...clean, morningFailure];
    expect(p0({ runs, now, baseline: { startedAt: at('20260211', '12:00') } }).passed).toBe(true);
    expect(p0({ runs, now, baseline: { startedAt: at('20260211', '08:00') } }).failures).toContain(
      'blocking_run_failed:20260211',
    );
  });

  it('given a run left running past its heartbeat timeout, then the gate fails on residue even with clean days', () => {
    const stale = run({
      startedAt: at('20260213', '19:00'),
      toDate: '20260213',
      status: 'running',
      finishedAt: null,
      lastHeartbeat: at('20260213', '19:05'),
    });
    const verdict = p0({ runs: [...clean, stale], now });
    expect(verdict.residue).toBe(1);
    expect(verdict.passed).toBe(false);
    expect(verdict.failures[0]).toBe('running_residue:1');
    expect(countRunningResidue([...clean, stale], now)).toBe(1);
  });

  it('given a run still beating its heartbeat, then it is in progress, not residue', () => {
    const live = run({
      startedAt: at('20260223', '09:00'),
      toDate: '20260223',
      status: 'running',
      finishedAt: null,
      lastHeartbeat: at('20260223', '09:59'),
    });
    const verdict = p0({ runs: [...clean, live], now: at('20260223', '10:00') });
    expect(verdict.residue).toBe(0);
    expect(verdict.days.natural[0]).toMatchObject({ tradeDate: '20260223', pending: true });
    expect(verdict.passed).toBe(true);
  });

  it('given module failures, then the main gate passes and the failing wave gate does not', () => {
    const withModules = clean.map((r) => ({
      ...r,
      moduleResults: [{ module: 'index_daily', status: 'failed' as const }],
    }));
    const moduleRun = run({
      startedAt: at('20260212', '19:00'),
      toDate: '20260212',
      chain: 'daily_basic',
      status: 'failed',
    });
    const runs = [...withModules, moduleRun];
    expect(p0({ runs, now }).passed).toBe(true);

    const wave = evaluateGate({
      gate: 'wave:index_daily',
      runs,
      coverage: coverage(['index_daily']),
      openDates: FEB_2026,
      thresholds: THRESHOLDS,
      now,
    });
    expect(wave.passed).toBe(false);
    expect(wave.failures).toContain('blocking_module_failed:20260213:index_daily');

    const other = evaluateGate({
      gate: 'wave:moneyflow',
      runs: [
        ...runs,
        ...days.map((day) => run({ startedAt: at(day, '20:00'), toDate: day, chain: 'moneyflow' })),
      ],
      coverage: coverage(['moneyflow']),
      openDates: FEB_2026,
      thresholds: THRESHOLDS,
      now: at('20260213', '21:00'),
    });
    expect(other.passed).toBe(true);
  });

  it('given a failed main run, then every wave gate is blocked too', () => {
    const waveRuns = days.map((day) =>
      run({ startedAt: at(day, '20:00'), toDate: day, chain: 'index_daily' }),
    );
    const mainFailed = run({ startedAt: at('20260213', '19:00'), toDate: '20260213', status: 'abandoned' });
    const verdict = evaluateGate({
      gate: 'wave:index_daily',
      runs: [...clean, ...waveRuns, mainFailed],
      coverage: coverage(['index_daily']),
      openDates: FEB_2026,
      thresholds: THRESHOLDS,
      now: at('20260213', '21:00'),
    });
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toContain('blocking_run_abandoned:20260213');
  });

  it('given wave days with only main runs, then the latest is still pending and the one before has nothing to show', () => {
    const verdict = evaluateGate({
      gate: 'wave:index_daily',
      runs: clean,
      coverage: coverage(['index_daily']),
      openDates: FEB_2026,
      thresholds: THRESHOLDS,
      now: at('20260214', '10:00'),
      allowAsOfProof: false,
    });
    expect(verdict.days.natural[0]).toMatchObject({ tradeDate: '20260213', runs: 1, pending: true });
    expect(verdict.failures).toEqual(['no_runs:20260212', 'clean_days_below_required']);
  });

  it('given runs of other batches, then a batch gate counts only its own and the all-batch ones', () => {
    const p0Failed = run({
      startedAt: at('20260212', '19:00'),
      toDate: '20260212',
      batch: 'p0',
      status: 'failed',
    });
    const p1Runs = days.map((day) => run({ startedAt: at(day, '18:30'), toDate: day, batch: 'p1' }));
    const verdict = evaluateGate({
      gate: 'p1',
      runs: [p0Failed, ...p1Runs],
      coverage: coverage(batchCoverageModules('p1')),
      openDates: FEB_2026,
      thresholds: THRESHOLDS,
      now,
    });
    expect(verdict.passed).toBe(true);
    expect(p0({ runs: [...clean, p0Failed], now }).failures).toContain('blocking_run_failed:20260212');
  });
});

describe('evaluateGate: coverage', () => {
  const days = ['20260211', '20260212', '20260213'];
  const runs = days.map((day) => run({ startedAt: at(day, '18:00'), toDate: day }));
  const now = at('20260213', '20:00');

  it('given coverage under the threshold on a day, then that day is not clean, with the value in the code', () => {
    const verdict = p0({ runs, now, coverage: coverage(P0_MODULES, FEB_2026, { '20260213|daily': 0.91 }) });
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toContain('coverage_below:20260213:daily:0.91<0.98');
  });

  it('given a day published in part, then it is not clean even when its ratio meets the threshold', () => {
    const points = coverage(P0_MODULES, FEB_2026, { '20260213|daily': 0.99 }).map((p) =>
      p.tradeDate === '20260213' && p.module === 'daily' ? { ...p, publication: 'partial' as const } : p,
    );
    const verdict = p0({ runs, now, coverage: points });
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toContain('publication_partial:20260213:daily');
    expect(verdict.failures.some((f) => f.startsWith('coverage_below'))).toBe(false);
    const revised = points.map((p) =>
      p.publication === 'partial' ? { ...p, coverage: 1, publication: 'revised' as const } : p,
    );
    expect(p0({ runs, now, coverage: revised }).passed).toBe(true);
  });

  it('given coverage at the threshold, then the day is clean', () => {
    expect(
      p0({ runs, now, coverage: coverage(P0_MODULES, FEB_2026, { '20260213|daily': 0.98 }) }).passed,
    ).toBe(true);
  });

  it('given no coverage or a not-applicable cell for a required module, then the day is not clean', () => {
    const missing = p0({ runs, now, coverage: coverage(['daily', 'fund_daily', 'fut_daily']) });
    expect(missing.failures).toContain('coverage_unknown:20260213:sge_daily');
    const na = p0({ runs, now, coverage: coverage(P0_MODULES, FEB_2026, { '20260213|fund_daily': null }) });
    expect(na.failures).toContain('coverage_not_applicable:20260213:fund_daily');
  });

  it('given main coverage under its baseline, then the gate fails even above the threshold, unless within tolerance', () => {
    const cov = coverage(P0_MODULES, FEB_2026, { '20260212|daily': 0.985 });
    const verdict = p0({ runs, now, coverage: cov, mainBaseline: { daily: 0.995 } });
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toContain('main_coverage_below_baseline:20260212:daily:0.985<0.995');
    const tolerant = p0({
      runs,
      now,
      coverage: cov,
      mainBaseline: { daily: 0.995 },
      thresholds: { ...THRESHOLDS, baselineTolerance: 0.02 },
    });
    expect(tolerant.passed).toBe(true);
  });
});

describe('evaluateGate: as of a trade date', () => {
  const replays = ['20260211', '20260212', '20260213'].map((day, i) =>
    run({ startedAt: at('20260221', `1${i}:00`), toDate: day }),
  );

  it('given an as-of date, then the as-of count starts there and later replays are not seen', () => {
    const verdict = p0({ runs: replays, now: at('20260221', '18:00'), asOf: '20260212' });
    expect(verdict.asOfTradeDate).toBe('20260212');
    expect(verdict.cleanAsOfTradeDateProgress).toBe('2/3');
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toContain('no_runs:20260210');
  });

  it('given an as-of date on a closed day, then it counts from the session before it', () => {
    const verdict = p0({ runs: replays, now: at('20260221', '18:00'), asOf: '20260215' });
    expect(verdict.asOfTradeDate).toBe('20260213');
    expect(verdict.cleanAsOfTradeDateProgress).toBe('3/3');
  });

  it('given too few sessions in the calendar, then it says so rather than passing', () => {
    const verdict = p0({ runs: replays, now: at('20260221', '18:00'), openDates: ['20260212', '20260213'] });
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toContain('calendar_exhausted');
  });
});

describe('toGateEvaluated', () => {
  it('turns a verdict into a valid GateEvaluated payload', () => {
    const verdict = p0({ runs: [], now: at('20260213', '20:00') });
    const payload = toGateEvaluated(verdict);
    expect(GateEvaluated.parse(payload)).toEqual(payload);
    expect(payload).toMatchObject({ gate: 'p0', passed: false, cleanDays: 0, requiredDays: 3 });
    expect(payload.failures).toContain('clean_days_below_required');
  });

  it('refuses an as-of date that is not a YYYYMMDD date', () => {
    expect(() => p0({ runs: [], now: 0, asOf: '2026-02-12' })).toThrow(ValidationError);
    expect(() => p0({ runs: [], now: 0, asOf: '20260230' })).toThrow(ValidationError);
  });

  it('refuses a required day count that is not a positive integer', () => {
    expect(() => p0({ runs: [], now: 0, thresholds: { requiredDays: 0, minCoverage: 0.9 } })).toThrow(
      ValidationError,
    );
  });
});

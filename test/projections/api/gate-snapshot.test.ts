import { describe, expect, it } from 'vitest';
import { buildGateSnapshot, coverageFromMatrix } from '../../../projections/api/gate-snapshot.js';
import { GateSnapshot, type MatrixView } from '../../../projections/api/schemas.js';
import { batchCoverageModules } from '../../../projections/gates/scope.js';
import type { CoveragePoint, RunView } from '../../../projections/gates/types.js';

const WEEK = ['20260105', '20260106', '20260107', '20260108', '20260109'];
const beijing = (date: string, time: string) =>
  Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${time}:00+08:00`);

let offset = 0;
const mainRun = (startedOn: string, proves: string, status: RunView['status'] = 'ok'): RunView => {
  const startedAt = beijing(startedOn, '10:00');
  offset += 1;
  return {
    runId: `run-${offset}`,
    chain: 'main',
    batch: null,
    status,
    fromDate: proves,
    toDate: proves,
    startedAt,
    finishedAt: status === 'running' ? null : startedAt + 60_000,
    lastHeartbeat: startedAt + 60_000,
    heartbeatTimeoutMs: 120_000,
    controlOffset: offset,
  };
};

const fullCoverage = (dates: readonly string[]): CoveragePoint[] =>
  dates.flatMap((tradeDate) =>
    batchCoverageModules('p0').map((module) => ({ tradeDate, module, coverage: 1 })),
  );

const input = (runs: RunView[], now: number, coverage: CoveragePoint[] | null = fullCoverage(WEEK)) => ({
  asOfTradeDate: null,
  now,
  thresholds: { requiredDays: 3, minCoverage: 0.98 },
  runs,
  coverage,
  openDates: WEEK,
  cursors: [
    {
      cursor: 'universe_index_daily_cursor_v1',
      value: '200',
      runId: 'run-1',
      advancedOffset: 4,
      advancedAt: '2026-01-07T02:00:00.000Z',
    },
  ],
  gates: ['p0'] as const,
});

describe('buildGateSnapshot', () => {
  it('passes p0 on the natural clock after three clean sessions in a row', () => {
    const runs = ['20260105', '20260106', '20260107'].map((d) => mainRun(d, d));
    const snapshot = buildGateSnapshot(input(runs, beijing('20260107', '18:00')));
    expect(GateSnapshot.safeParse(snapshot).success).toBe(true);
    const [p0] = snapshot.gates;
    expect(p0).toMatchObject({ gate: 'p0', passed: true, provenBy: 'natural', cleanDayProgress: '3/3' });
    expect(snapshot.runs).toMatchObject({
      total: 3,
      blocking: 0,
      byStatus: { ok: 3, failed: 0, running: 0 },
    });
    expect(snapshot.cursors).toEqual([
      { cursor: 'universe_index_daily_cursor_v1', value: '200', advancedAt: '2026-01-07T02:00:00.000Z' },
    ]);
    expect(snapshot.coverage).toBe('matrix');
  });

  it('reports the roadmap case: replays prove 3/3 as of trade dates while the natural clock is at 1/3', () => {
    const runs = ['20260105', '20260106', '20260107'].map((d) => mainRun('20260108', d));
    const snapshot = buildGateSnapshot(input(runs, beijing('20260108', '18:00')));
    const [p0] = snapshot.gates;
    expect(p0).toMatchObject({
      cleanDayProgress: '1/3',
      cleanAsOfTradeDateProgress: '3/3',
    });
  });

  it('counts a failed main run as blocking and does not pass', () => {
    const runs = [
      mainRun('20260105', '20260105'),
      mainRun('20260106', '20260106', 'failed'),
      mainRun('20260107', '20260107'),
    ];
    const snapshot = buildGateSnapshot(input(runs, beijing('20260107', '18:00')));
    const [p0] = snapshot.gates;
    expect(p0?.passed).toBe(false);
    expect(p0?.cleanDayProgress).toBe('1/3');
    expect(p0?.failures.some((f) => f.includes('20260106'))).toBe(true);
    expect(snapshot.runs.blocking).toBe(1);
  });

  it('says so when no matrix gave coverage, and nothing passes on unknown coverage', () => {
    const runs = ['20260105', '20260106', '20260107'].map((d) => mainRun(d, d));
    const snapshot = buildGateSnapshot(input(runs, beijing('20260107', '18:00'), null));
    expect(snapshot.coverage).toBe('unavailable');
    expect(snapshot.gates[0]?.passed).toBe(false);
  });
});

describe('coverageFromMatrix', () => {
  it('reads not applicable as null and keeps the ratio of the others', () => {
    const cell = (status: MatrixView['cells'][number]['status'], coverage: number | null) => ({
      target: 'universe',
      module: 'daily',
      tradeDate: '20260105',
      status,
      expected: 2,
      got: 1,
      coverage,
    });
    const matrix = {
      cells: [cell('partial', 0.5), cell('not_applicable', null), cell('missing', 0)],
    } as MatrixView;
    expect(coverageFromMatrix(matrix).map((p) => p.coverage)).toEqual([0.5, null, 0]);
  });
});

describe('buildGateSnapshot with a baseline boundary', () => {
  it('leaves runs before the baseline out of the verdict and the residue', () => {
    // The broken period: a failed run of a day the clean streak covers, and a run left running.
    const broken = mainRun('20260108', '20260108', 'failed');
    const stuck = mainRun('20260106', '20260106', 'running');
    const clean = ['20260107', '20260108', '20260109'].map((d) => mainRun(d, d));
    const now = beijing('20260109', '18:00');
    const without = buildGateSnapshot(input([broken, stuck, ...clean], now));
    expect(without.gates[0]?.passed).toBe(false);
    expect(without.gates[0]?.failures).toEqual(
      expect.arrayContaining(['blocking_run_failed:20260108', 'running_residue:1']),
    );
    expect(without.runningResidue).toBe(1);

    const baseline = { offset: (clean[0] as RunView).controlOffset };
    const withBaseline = buildGateSnapshot({ ...input([broken, stuck, ...clean], now), baseline });
    expect(withBaseline.gates[0]?.failures.join(' ') ?? '').not.toContain('blocking_run_failed');
    expect(withBaseline.runningResidue).toBe(0);
    expect(withBaseline.gates[0]).toMatchObject({ passed: true, cleanDayProgress: '3/3' });
  });
});

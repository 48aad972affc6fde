import type pg from 'pg';
import { chinaDate } from '../../contracts/dates.js';
import { countRunningResidue, evaluateGate } from '../gates/evaluate.js';
import { evaluateFoundation, type FoundationInput } from '../gates/phases.js';
import { GATE_NAMES } from '../gates/scope.js';
import type {
  CoveragePoint,
  GateBaseline,
  GateName,
  RunView as GateRun,
  GateThresholds,
  GateVerdict,
} from '../gates/types.js';
import { DAILY_MATRIX_MODULES } from '../matrix/modules.js';
import type { FoundationSource } from './foundation.js';
import { UnavailableError } from './http-errors.js';
import { openDatesUpTo } from './pg-reader.js';
import type { GateSnapshotSource, MatrixSource } from './ports.js';
import {
  type CursorsView,
  GateSnapshot,
  type GateSnapshotEntry,
  type MatrixView,
  RunState,
} from './schemas.js';

/** Gate thresholds as configured (`gates.*`), the baseline boundary included. */
export type SnapshotThresholds = GateThresholds & { baselineOffset?: number };

export interface GateSnapshotInput {
  /** Evaluate the as-of clock at this trade date; null means the latest one a run proves. */
  asOfTradeDate: string | null;
  /** Wall-clock time of the snapshot (ms). */
  now: number;
  thresholds: GateThresholds;
  runs: readonly GateRun[];
  /** Coverage per module and trade date from the status matrix; null when no matrix answered. */
  coverage: readonly CoveragePoint[] | null;
  openDates: readonly string[];
  cursors: CursorsView['cursors'];
  gates?: readonly GateName[];
  /** The roadmap's baseline boundary: runs before it count neither for nor against a gate. */
  baseline?: GateBaseline;
  /** The foundation gate's facts now; absent: not evaluated (the snapshot says null). */
  foundation?: FoundationInput;
}

/** Main-chain failures block every gate; a recovery module's failure blocks only its wave. */
export const isBlockingRun = (run: Pick<GateRun, 'chain' | 'status'>): boolean =>
  run.chain === 'main' && (run.status === 'failed' || run.status === 'abandoned');

/**
 * The JSON `xasset gate snapshot` prints and `GET /gates/snapshot` serves: every gate evaluated by
 * projections/gates on both clocks (`cleanDayProgress=1/3` beside `cleanAsOfTradeDateProgress=3/3`),
 * with the run counts and cursors the roadmap's snapshot reports next to them. Pure.
 */
export function buildGateSnapshot(input: GateSnapshotInput): GateSnapshot {
  const byStatus = Object.fromEntries(RunState.options.map((s) => [s, 0])) as Record<RunState, number>;
  for (const run of input.runs) byStatus[run.status] += 1;
  // A verdict goes out as it is: a change of GateVerdict that the schema does not follow fails typecheck.
  const gates: GateSnapshotEntry[] = (input.gates ?? GATE_NAMES).map(
    (gate): GateVerdict =>
      evaluateGate({
        gate,
        runs: input.runs,
        coverage: input.coverage ?? [],
        openDates: input.openDates,
        thresholds: input.thresholds,
        now: input.now,
        ...(input.asOfTradeDate ? { asOf: input.asOfTradeDate } : {}),
        ...(input.baseline ? { baseline: input.baseline } : {}),
      }),
  );
  return GateSnapshot.parse({
    asOfTradeDate: input.asOfTradeDate,
    generatedAt: new Date(input.now).toISOString(),
    thresholds: { requiredDays: input.thresholds.requiredDays, minCoverage: input.thresholds.minCoverage },
    coverage: input.coverage ? 'matrix' : 'unavailable',
    gates,
    foundation: input.foundation ? evaluateFoundation(input.foundation) : null,
    runs: { total: input.runs.length, blocking: input.runs.filter(isBlockingRun).length, byStatus },
    runningResidue: countRunningResidue(input.runs, input.now, input.baseline),
    cursors: input.cursors.map(({ cursor, value, advancedAt }) => ({ cursor, value, advancedAt })),
  });
}

/** Matrix cells as the gates read coverage: not applicable is null, a cell without a ratio is 0. */
export function coverageFromMatrix(matrix: MatrixView): CoveragePoint[] {
  return matrix.cells.map((cell) => ({
    tradeDate: cell.tradeDate,
    module: cell.module,
    coverage:
      cell.status === 'not_applicable' ? null : (cell.coverage ?? (cell.status === 'complete' ? 1 : 0)),
    ...(cell.publication === undefined ? {} : { publication: cell.publication }),
  }));
}

interface RunRow {
  run_id: string;
  chain: string;
  batch: string | null;
  status: GateRun['status'];
  from_date: string | null;
  to_date: string | null;
  started_at: Date;
  finished_at: Date | null;
  last_heartbeat: Date;
  heartbeat_timeout_ms: number;
  started_offset: number;
  module_results: { module: string; status: Exclude<GateRun['status'], 'running'> }[];
  force_phase: string | null;
}

/**
 * Loads what a snapshot needs from the projection tables and the matrix: the open trade dates of a
 * window reaching back a few more sessions than a gate needs (up to today, and up to the as-of date
 * when one is asked), the runs that can fall on those days, and the coverage of those days.
 */
export class PgGateSnapshotSource implements GateSnapshotSource {
  readonly #pool: pg.Pool;
  readonly #matrix: MatrixSource;
  readonly #thresholds: SnapshotThresholds;
  readonly #now: () => Date;
  readonly #foundation: FoundationSource | undefined;

  constructor(
    pool: pg.Pool,
    matrix: MatrixSource,
    thresholds: SnapshotThresholds,
    now: () => Date = () => new Date(),
    foundation?: FoundationSource,
  ) {
    this.#pool = pool;
    this.#matrix = matrix;
    this.#thresholds = thresholds;
    this.#now = now;
    this.#foundation = foundation;
  }

  async gateSnapshot(asOfTradeDate: string | null): Promise<GateSnapshot> {
    const { now, runs, openDates, segments } = await this.gateRuns(asOfTradeDate);
    const [cursors, coverage, foundation] = await Promise.all([
      this.#cursors(),
      this.#coverage(segments),
      this.#foundation?.(),
    ]);
    return buildGateSnapshot({
      asOfTradeDate,
      now,
      thresholds: this.#thresholds,
      runs,
      coverage,
      openDates,
      cursors,
      ...(foundation ? { foundation } : {}),
      ...(this.#thresholds.baselineOffset !== undefined
        ? { baseline: { offset: this.#thresholds.baselineOffset } }
        : {}),
    });
  }

  /**
   * The open trade dates of a window reaching back a few more sessions than a gate needs (up to
   * today, and up to the as-of date when one is asked), and the runs that can fall on those days:
   * what every gate is evaluated on, the gray modules' own gates included (projections/gray).
   */
  async gateRuns(asOfTradeDate: string | null = null): Promise<{
    now: number;
    runs: GateRun[];
    openDates: string[];
    segments: string[][];
  }> {
    const now = this.#now().getTime();
    const window = this.#thresholds.requiredDays + 5;
    const ends = [...new Set([chinaDate(now), ...(asOfTradeDate ? [asOfTradeDate] : [])])];
    const segments = (await Promise.all(ends.map((end) => openDatesUpTo(this.#pool, end, window)))).filter(
      (s) => s.length > 0,
    );
    const openDates = [...new Set(segments.flat())].sort();
    const runs = await this.#runsSince(openDates[0] ?? chinaDate(now));
    return { now, runs, openDates, segments };
  }

  /** Runs that started (Beijing date) or prove a trade date on or after `since`, and every running one. */
  async #runsSince(since: string): Promise<GateRun[]> {
    const { rows } = await this.#pool.query<RunRow>(
      `SELECT run_id, chain, batch, status,
              to_char(from_date, 'YYYYMMDD') AS from_date, to_char(to_date, 'YYYYMMDD') AS to_date,
              started_at, finished_at, last_heartbeat, heartbeat_timeout_ms, started_offset, module_results, force_phase
         FROM ingest_runs
        WHERE status = 'running'
           OR started_at >= (to_date($1, 'YYYYMMDD')::timestamp AT TIME ZONE 'Asia/Shanghai')
           OR coalesce(to_date, from_date) >= to_date($1, 'YYYYMMDD')
        ORDER BY started_offset`,
      [since],
    );
    return rows.map((r) => ({
      runId: r.run_id,
      chain: r.chain,
      batch: r.batch,
      status: r.status,
      fromDate: r.from_date,
      toDate: r.to_date,
      startedAt: r.started_at.getTime(),
      finishedAt: r.finished_at?.getTime() ?? null,
      lastHeartbeat: r.last_heartbeat.getTime(),
      heartbeatTimeoutMs: r.heartbeat_timeout_ms,
      controlOffset: r.started_offset,
      moduleResults: r.module_results.map(({ module, status }) => ({ module, status })),
      forcePhase: r.force_phase,
    }));
  }

  async #cursors(): Promise<CursorsView['cursors']> {
    const { rows } = await this.#pool.query<{
      cursor: string;
      value: string;
      run_id: string | null;
      advanced_offset: number;
      advanced_at: Date;
    }>('SELECT cursor, value, run_id, advanced_offset, advanced_at FROM cursor_state ORDER BY cursor');
    return rows.map((r) => ({
      cursor: r.cursor,
      value: r.value,
      runId: r.run_id,
      advancedOffset: r.advanced_offset,
      advancedAt: r.advanced_at.toISOString(),
    }));
  }

  async #coverage(segments: readonly string[][]): Promise<CoveragePoint[] | null> {
    try {
      const matrices = await Promise.all(
        segments.map((dates) =>
          // The gates read daily coverage only (gates/scope.ts): the minute modules are not computed.
          this.#matrix.matrix({
            target: 'universe',
            from: dates[0] as string,
            to: dates.at(-1) as string,
            modules: [...DAILY_MATRIX_MODULES],
          }),
        ),
      );
      return matrices.flatMap(coverageFromMatrix);
    } catch (err) {
      if (err instanceof UnavailableError) return null;
      throw err;
    }
  }
}

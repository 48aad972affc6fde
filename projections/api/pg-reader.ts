import type pg from 'pg';
import { CONTROL_TOPIC } from '../../contracts/events/control.js';
import { DEFAULT_FLAGS, RolloutFlagsV1 } from '../../contracts/flags.js';
import { effectiveSwitches, switchDifferences } from '../policy/switches.js';
import type { ProjectionReader, RunsFilter } from './ports.js';
import type {
  AlertView,
  CursorsView,
  FlagsHistoryView,
  FlagsView,
  GatesView,
  MetricsSnapshot,
  PhaseView,
  RunsView,
  RunView,
} from './schemas.js';

/** The part of the event log the metrics need: where each partition ends. */
export interface LogPositions {
  endOffsets(topic: string): Promise<Map<number, number>>;
}

export interface PgProjectionReaderOptions {
  /** Used for consumer and projection lag; without it lag is reported as unknown. */
  log?: LogPositions;
  /** The clock that decides which running runs are stale. */
  now?: () => Date;
}

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

/** Dates leave PostgreSQL as YYYYMMDD text: a JS Date would shift them by the server's time zone. */
const RUN_COLUMNS = `run_id, chain, batch, status,
  to_char(from_date, 'YYYYMMDD') AS from_date, to_char(to_date, 'YYYYMMDD') AS to_date,
  started_at, last_heartbeat, finished_at, heartbeat_timeout_ms, stats, module_results, error,
  started_offset,
  (status = 'running' AND last_heartbeat + heartbeat_timeout_ms * interval '1 millisecond' < $1) AS stale`;

interface RunRow {
  run_id: string;
  chain: string;
  batch: string | null;
  status: RunView['status'];
  from_date: string | null;
  to_date: string | null;
  started_at: Date;
  last_heartbeat: Date;
  finished_at: Date | null;
  heartbeat_timeout_ms: number;
  stats: RunView['stats'];
  module_results: RunView['moduleResults'];
  error: string | null;
  started_offset: number;
  stale: boolean;
}

const runView = (r: RunRow): RunView => ({
  runId: r.run_id,
  chain: r.chain,
  batch: r.batch,
  status: r.status,
  fromDate: r.from_date,
  toDate: r.to_date,
  startedAt: iso(r.started_at),
  lastHeartbeat: iso(r.last_heartbeat),
  finishedAt: isoOrNull(r.finished_at),
  heartbeatTimeoutMs: r.heartbeat_timeout_ms,
  stale: r.stale,
  stats: r.stats,
  moduleResults: r.module_results,
  error: r.error,
  startedOffset: r.started_offset,
});

interface GateRow {
  gate: string;
  passed: boolean;
  as_of: string | null;
  clean_days: number;
  required_days: number;
  failures: string[];
  control_offset: number;
  evaluated_at: Date;
}

/** The last `count` open trade dates on or before `onOrBefore` (YYYYMMDD), oldest first. */
export async function openDatesUpTo(
  db: Pick<pg.Pool, 'query'>,
  onOrBefore: string,
  count: number,
): Promise<string[]> {
  // The SSE calendar is the stock market's; other exchanges' calendars count only without it.
  const { rows } = await db.query<{ d: string }>(
    `WITH cal AS (
       SELECT cal_date FROM trade_calendar
        WHERE is_open AND cal_date <= to_date($1, 'YYYYMMDD')
          AND (exchange = 'SSE' OR NOT EXISTS (SELECT 1 FROM trade_calendar WHERE exchange = 'SSE'))
     )
     SELECT DISTINCT to_char(cal_date, 'YYYYMMDD') AS d FROM cal ORDER BY d DESC LIMIT $2`,
    [onOrBefore, count],
  );
  return rows.map((r) => r.d).reverse();
}

/** Reads the projection tables of migration 003 with plain SQL; every answer is a fresh read. */
export class PgProjectionReader implements ProjectionReader {
  readonly #pool: pg.Pool;
  readonly #log: LogPositions | undefined;
  readonly #now: () => Date;

  constructor(pool: pg.Pool, options: PgProjectionReaderOptions = {}) {
    this.#pool = pool;
    this.#log = options.log;
    this.#now = options.now ?? (() => new Date());
  }

  async readPhase(): Promise<PhaseView> {
    const { rows } = await this.#pool.query<{
      current_phase: PhaseView['current'];
      frozen: boolean;
      frozen_reason: string | null;
      changed_at: Date;
    }>('SELECT current_phase, frozen, frozen_reason, changed_at FROM phase_state');
    const row = rows[0];
    if (!row) return { current: 'A', frozen: false, frozenReason: null, changedAt: null };
    return {
      current: row.current_phase,
      frozen: row.frozen,
      frozenReason: row.frozen_reason,
      changedAt: iso(row.changed_at),
    };
  }

  async readFlags(): Promise<FlagsView> {
    const { rows } = await this.#pool.query<{
      control_offset: number;
      flags: unknown;
      actor: string;
      reason: string;
      changed_at: Date;
    }>(
      `SELECT control_offset, flags, actor, reason, changed_at
         FROM flags_history ORDER BY control_offset DESC LIMIT 1`,
    );
    const row = rows[0];
    const stored = row ? RolloutFlagsV1.parse(row.flags) : DEFAULT_FLAGS;
    const phase = await this.readPhase();
    const record = { phase: phase.current, frozen: phase.frozen, frozenReason: phase.frozenReason };
    return {
      stored,
      effective: effectiveSwitches(stored, record),
      phase: { current: phase.current, frozen: phase.frozen },
      differences: switchDifferences(stored, record),
      updatedAt: stored.updatedAt,
      source: row ? 'history' : 'default',
      lastChange: row
        ? { offset: row.control_offset, actor: row.actor, reason: row.reason, changedAt: iso(row.changed_at) }
        : null,
    };
  }

  async readFlagsHistory(limit: number): Promise<FlagsHistoryView> {
    const { rows } = await this.#pool.query<{
      control_offset: number;
      flags: unknown;
      actor: string;
      reason: string;
      restored_from_offset: number | null;
      changed_at: Date;
    }>(
      `SELECT control_offset, flags, actor, reason, restored_from_offset, changed_at
         FROM flags_history ORDER BY control_offset DESC LIMIT $1`,
      [limit],
    );
    return {
      entries: rows.map((r) => ({
        offset: r.control_offset,
        flags: RolloutFlagsV1.parse(r.flags),
        actor: r.actor,
        reason: r.reason,
        restoredFromOffset: r.restored_from_offset,
        changedAt: iso(r.changed_at),
      })),
    };
  }

  async readRuns(filter: RunsFilter): Promise<RunsView> {
    const { rows } = await this.#pool.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM ingest_runs
        WHERE ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR chain = $3)
        ORDER BY started_offset DESC LIMIT $4`,
      [this.#now(), filter.status ?? null, filter.chain ?? null, filter.limit],
    );
    return { runs: rows.map(runView) };
  }

  async readRun(runId: string): Promise<RunView | undefined> {
    const { rows } = await this.#pool.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM ingest_runs WHERE run_id = $2`,
      [this.#now(), runId],
    );
    return rows[0] ? runView(rows[0]) : undefined;
  }

  async readCursors(): Promise<CursorsView> {
    const { rows } = await this.#pool.query<{
      cursor: string;
      value: string;
      run_id: string | null;
      advanced_offset: number;
      advanced_at: Date;
    }>('SELECT cursor, value, run_id, advanced_offset, advanced_at FROM cursor_state ORDER BY cursor');
    return {
      cursors: rows.map((r) => ({
        cursor: r.cursor,
        value: r.value,
        runId: r.run_id,
        advancedOffset: r.advanced_offset,
        advancedAt: iso(r.advanced_at),
      })),
    };
  }

  async readGates(): Promise<GatesView> {
    const { rows } = await this.#pool.query<GateRow>(
      `SELECT DISTINCT ON (gate) gate, passed, to_char(as_of_trade_date, 'YYYYMMDD') AS as_of, clean_days,
              required_days, failures, control_offset, evaluated_at
         FROM gate_evaluation ORDER BY gate, control_offset DESC`,
    );
    return {
      gates: rows.map((r) => ({
        gate: r.gate,
        passed: r.passed,
        asOfTradeDate: r.as_of,
        cleanDays: r.clean_days,
        requiredDays: r.required_days,
        progress: `${r.clean_days}/${r.required_days}`,
        failures: r.failures,
        offset: r.control_offset,
        evaluatedAt: iso(r.evaluated_at),
      })),
    };
  }

  async readAlerts(limit: number): Promise<AlertView[]> {
    const { rows } = await this.#pool.query<{
      control_offset: number;
      alert: string;
      kind: AlertView['kind'];
      severity: AlertView['severity'];
      message: string;
      value: number | null;
      threshold: number | null;
      raised_at: Date;
    }>(
      `SELECT control_offset, alert, kind, severity, message, value, threshold, raised_at
         FROM alert ORDER BY control_offset DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      offset: r.control_offset,
      alert: r.alert,
      kind: r.kind,
      severity: r.severity,
      message: r.message,
      value: r.value,
      threshold: r.threshold,
      raisedAt: iso(r.raised_at),
    }));
  }

  async readRunningResidue(): Promise<{ running: number; stale: number }> {
    const { rows } = await this.#pool.query<{ running: number; stale: number }>(
      `SELECT count(*)::int AS running,
              count(*) FILTER (WHERE last_heartbeat + heartbeat_timeout_ms * interval '1 millisecond' < $1)::int
                AS stale
         FROM ingest_runs WHERE status = 'running'`,
      [this.#now()],
    );
    return rows[0] ?? { running: 0, stale: 0 };
  }

  async readMetrics(): Promise<MetricsSnapshot> {
    const [phase, flags, gates, runs, rows, residue, alerts, consumers, checkpoints] = await Promise.all([
      this.readPhase(),
      this.readFlags(),
      this.readGates(),
      this.#pool.query<{ chain: string; status: RunView['status']; count: number }>(
        'SELECT chain, status, count(*)::int AS count FROM ingest_runs GROUP BY chain, status ORDER BY chain, status',
      ),
      this.#pool.query<{ chain: string; fetched: number; emitted: number }>(
        `SELECT chain,
                coalesce(sum((stats->>'rowsFetched')::double precision), 0) AS fetched,
                coalesce(sum((stats->>'rowsEmitted')::double precision), 0) AS emitted
           FROM ingest_runs GROUP BY chain ORDER BY chain`,
      ),
      this.readRunningResidue(),
      this.#pool.query<{ severity: AlertView['severity']; count: number }>(
        'SELECT severity, count(*)::int AS count FROM alert GROUP BY severity ORDER BY severity',
      ),
      this.#pool.query<{ consumer: string; topic: string; partition: number; next_offset: number }>(
        'SELECT consumer, topic, partition, next_offset FROM consumer_offset ORDER BY consumer, topic, partition',
      ),
      this.#pool.query<{ projection: string; next_offset: number }>(
        'SELECT projection, next_offset FROM projection_checkpoint ORDER BY projection',
      ),
    ]);
    const ends = await this.#endOffsets([CONTROL_TOPIC, ...new Set(consumers.rows.map((r) => r.topic))]);
    const controlEnd = ends?.get(CONTROL_TOPIC)?.get(0);
    return {
      phase: { current: phase.current, frozen: phase.frozen },
      flags: { stored: flags.stored, effective: flags.effective },
      gates: gates.gates.map(({ gate, passed, cleanDays, requiredDays }) => ({
        gate,
        passed,
        cleanDays,
        requiredDays,
      })),
      runsByStatus: runs.rows,
      rows: rows.rows,
      runningResidue: residue.running,
      staleRunning: residue.stale,
      alertsBySeverity: alerts.rows,
      consumerLag: ends
        ? consumers.rows.flatMap((r) => {
            const end = ends.get(r.topic)?.get(r.partition);
            return end === undefined
              ? []
              : [
                  {
                    consumer: r.consumer,
                    topic: r.topic,
                    partition: r.partition,
                    lag: Math.max(0, end - r.next_offset),
                  },
                ];
          })
        : null,
      projectionLag: checkpoints.rows.map((r) => ({
        projection: r.projection,
        lag: controlEnd === undefined ? null : Math.max(0, controlEnd - r.next_offset),
      })),
    };
  }

  recentTradeDates(onOrBefore: string, count: number): Promise<string[]> {
    return openDatesUpTo(this.#pool, onOrBefore, count);
  }

  /**
   * End offsets per topic; undefined when there is no log to ask or it does not answer, so lag is
   * then unknown rather than zero. A topic the log cannot describe is left out on its own.
   */
  async #endOffsets(topics: string[]): Promise<Map<string, Map<number, number>> | undefined> {
    const log = this.#log;
    if (!log) return undefined;
    const entries = await Promise.all(
      topics.map(async (t) => {
        try {
          return [[t, await log.endOffsets(t)] as const];
        } catch {
          return [];
        }
      }),
    );
    const found = new Map(entries.flat());
    return found.size === 0 ? undefined : found;
  }
}

import { endpoint } from '../../contracts/catalog/index.js';
import { DEFAULT_FLAGS, RolloutFlagsV1 } from '../../contracts/flags.js';
import { isGrayStage } from '../../contracts/gray.js';
import type { PhaseRecord } from '../policy/switches.js';
import type { GrayHistoryEntry } from '../reducers/gray.js';
import type { PhaseChange } from '../reducers/history.js';
import { phasesReducer } from '../reducers/phases.js';
import type { ProbeEntry } from '../reducers/probes.js';
import type { FlagsChange } from './as-of.js';
import type { ExplainContext, LastError, ProbeView, RunSummary } from './matrix.js';
import type { Queryable } from './sql.js';

/**
 * Runs that concern a module: its own module runs, main runs carrying its ModuleResult, and, for a
 * batch endpoint, the main runs of its batch (a main run without a batch fetched every batch).
 * $1 module, $2 batch or null.
 */
const CONCERNS = `(chain = $1
  OR module_results @> jsonb_build_array(jsonb_build_object('module', $1::text))
  OR (chain = 'main' AND $2::text IS NOT NULL AND (batch = $2 OR batch IS NULL)))`;

const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/**
 * The projections' view around one module for `explainCell`: the flags in force (the latest
 * FlagsChanged, or the roadmap baseline before any), its endpoint's permission probe, the last run
 * that concerned it and the last error one reported (the run's or the module's own).
 */
export async function readExplainContext(db: Queryable, module: string): Promise<ExplainContext> {
  const spec = endpoint(module);
  const batch = spec.batch === 'module' ? null : spec.batch;
  const [flagsHistory, phaseHistory, probeHistory, grayHistory, phase, probes, lastRun, lastError] =
    await Promise.all([
      readFlagsChanges(db),
      readPhaseChanges(db),
      readProbeHistory(db, module),
      readGrayHistory(db),
      db.query<{ current_phase: PhaseRecord['phase']; frozen: boolean; frozen_reason: string | null }>(
        'SELECT current_phase, frozen, frozen_reason FROM phase_state',
      ),
      db.query<{
        api_name: string;
        passed: boolean;
        tushare_code: number | null;
        message: string | null;
        probed_at: number;
      }>(
        `SELECT api_name, passed, tushare_code, message, ${ms('probed_at')} AS probed_at
       FROM permission_probe WHERE api_name = $1`,
        [module],
      ),
      db.query<{
        run_id: string;
        chain: string;
        batch: string | null;
        status: string;
        from_date: string | null;
        to_date: string | null;
        started_at: number;
        finished_at: number | null;
        error: string | null;
      }>(
        `SELECT run_id, chain, batch, status, to_char(from_date, 'YYYYMMDD') AS from_date,
              to_char(to_date, 'YYYYMMDD') AS to_date, ${ms('started_at')} AS started_at,
              ${ms('finished_at')} AS finished_at, error
       FROM ingest_runs WHERE ${CONCERNS}
       ORDER BY started_offset DESC LIMIT 1`,
        [module, batch],
      ),
      db.query<{ run_id: string; error: string; at: number }>(
        `SELECT run_id, error, at FROM (
         SELECT run_id, error, ${ms('coalesce(finished_at, last_heartbeat)')} AS at, started_offset
         FROM ingest_runs WHERE ${CONCERNS} AND error IS NOT NULL
         UNION ALL
         SELECT r.run_id, e->>'error', ${ms('coalesce(r.finished_at, r.last_heartbeat)')}, r.started_offset
         FROM ingest_runs r CROSS JOIN jsonb_array_elements(r.module_results) AS e
         WHERE e->>'module' = $1 AND e->>'error' IS NOT NULL
       ) errors
       ORDER BY started_offset DESC, at DESC LIMIT 1`,
        [module, batch],
      ),
    ]);

  const recorded = phase.rows[0];
  const run = lastRun.rows[0];
  const error = lastError.rows[0];
  return {
    flags: flagsHistory.at(-1)?.flags ?? DEFAULT_FLAGS,
    flagsHistory,
    // Empty while phase_state or permission_probe has rows: a store whose history projections have
    // not folded the log yet (migrated from before 018). The latest record then judges every date.
    ...(phaseHistory.length > 0 && { phaseHistory }),
    ...(probeHistory.length > 0 && { probeHistory }),
    grayHistory,
    phase: recorded
      ? { phase: recorded.current_phase, frozen: recorded.frozen, frozenReason: recorded.frozen_reason }
      : phasesReducer.initial(),
    probes: probes.rows.map(
      (p): ProbeView => ({
        apiName: p.api_name,
        passed: p.passed,
        tushareCode: p.tushare_code,
        message: p.message,
        probedAt: p.probed_at,
      }),
    ),
    lastRun:
      run === undefined
        ? null
        : ({
            runId: run.run_id,
            chain: run.chain,
            batch: run.batch,
            status: run.status,
            fromDate: run.from_date,
            toDate: run.to_date,
            startedAt: run.started_at,
            finishedAt: run.finished_at,
            error: run.error,
          } satisfies RunSummary),
    lastError:
      error === undefined
        ? null
        : ({ runId: error.run_id, error: error.error, at: error.at } satisfies LastError),
  };
}

/**
 * Every flags change the flags projection folded from the log, in log order: what the matrix needs
 * to judge each day by the flags of that day. Flag changes are few (operators, phase moves).
 */
export async function readFlagsChanges(db: Queryable): Promise<FlagsChange[]> {
  const { rows } = await db.query<{ control_offset: number; flags: unknown; changed_at: number }>(
    `SELECT control_offset, flags, ${ms('changed_at')} AS changed_at FROM flags_history ORDER BY control_offset`,
  );
  return rows.map((r) => ({
    offset: Number(r.control_offset),
    at: Number(r.changed_at),
    flags: RolloutFlagsV1.parse(r.flags),
  }));
}

/** Every phase move the phaseHistory projection folded, in log order. */
async function readPhaseChanges(db: Queryable): Promise<PhaseChange[]> {
  const { rows } = await db.query<{
    control_offset: number;
    current_phase: PhaseChange['phase'];
    frozen: boolean;
    frozen_reason: string | null;
    changed_at: number;
  }>(
    `SELECT control_offset, current_phase, frozen, frozen_reason, ${ms('changed_at')} AS changed_at
     FROM phase_history ORDER BY control_offset`,
  );
  return rows.map((r) => ({
    offset: Number(r.control_offset),
    phase: r.current_phase,
    frozen: r.frozen,
    frozenReason: r.frozen_reason,
    at: Number(r.changed_at),
  }));
}

/** Every permission probe of one endpoint, in log order. */
async function readProbeHistory(db: Queryable, apiName: string): Promise<ProbeEntry[]> {
  const { rows } = await db.query<{
    control_offset: number;
    passed: boolean;
    tushare_code: number | null;
    message: string | null;
    probed_at: number;
  }>(
    `SELECT control_offset, passed, tushare_code, message, ${ms('probed_at')} AS probed_at
     FROM probe_history WHERE api_name = $1 ORDER BY control_offset`,
    [apiName],
  );
  return rows.map((r) => ({
    apiName,
    passed: r.passed,
    tushareCode: r.tushare_code,
    message: r.message,
    offset: Number(r.control_offset),
    at: Number(r.probed_at),
  }));
}

/**
 * Every gray stage change the gray_history projection folded from the log, in log order: what
 * the matrix needs to judge each day of a minute module by the stage of that day.
 */
export async function readGrayHistory(db: Queryable): Promise<GrayHistoryEntry[]> {
  const { rows } = await db.query<{
    control_offset: string;
    module: string;
    stage: string;
    share: number;
    allow_list: string[];
    changed_at: number;
  }>(
    `SELECT control_offset, module, stage, share, allow_list, ${ms('changed_at')} AS changed_at
     FROM gray_stage_history ORDER BY control_offset`,
  );
  return rows.flatMap((r) =>
    isGrayStage(r.stage)
      ? [
          {
            offset: Number(r.control_offset),
            module: r.module,
            stage: r.stage,
            share: Number(r.share),
            allowList: r.allow_list,
            at: Number(r.changed_at),
          },
        ]
      : [],
  );
}

import type pg from 'pg';
import type { z } from 'zod';
import type { RunStats } from '../../../contracts/events/control.js';
import { DEFAULT_FLAGS, type RolloutFlags } from '../../../contracts/flags.js';
import type { CellStatus } from '../../../projections/api/schemas.js';

/**
 * Projection rows as the runner would leave them after a week of control events, plus the market
 * data the status matrix reads. Written by SQL so the API is tested against the real tables.
 */

/** The API's clock: Wednesday 7 January 2026, 18:00 in Beijing. */
export const NOW = new Date('2026-01-07T10:00:00.000Z');

/** The matrix range the tests look at: a weekend, then three sessions. */
export const RANGE = { from: '20260103', to: '20260107' } as const;
export const RANGE_DATES = ['20260103', '20260104', '20260105', '20260106', '20260107'];

/** The stock daily bars: both stocks stored on the 5th, one on the 6th, none on the 7th. */
export const DAILY_STATUSES: readonly CellStatus[] = [
  'not_applicable',
  'not_applicable',
  'complete',
  'partial',
  'missing',
];

export const STOCKS = ['000001.SZ', '600000.SH'];

export const STORED_FLAGS: RolloutFlags = {
  ...DEFAULT_FLAGS,
  p2Enabled: false,
  updatedAt: 1_767_600_000_000,
};

/** An alert whose message would run as markup if the page did not escape it. */
export const HOSTILE_MESSAGE = '<img src=x onerror="document.title=1"> coverage 0.5 < 0.95';

const stats = (rows: number): z.infer<typeof RunStats> => ({
  requests: 2,
  pages: 2,
  retries: 0,
  rowsFetched: rows,
  rowsEmitted: rows,
  errorsByClass: {},
  durationMs: 1_000,
});

interface SeedRun {
  runId: string;
  chain: string;
  batch: string | null;
  status: string;
  date: string;
  startedAt: string;
  finishedAt: string | null;
  lastHeartbeat: string;
  timeoutMs: number;
  stats: z.infer<typeof RunStats> | null;
  moduleResults: unknown[];
  error: string | null;
  offset: number;
}

export const RUNS: readonly SeedRun[] = [
  {
    runId: 'run-a',
    chain: 'main',
    batch: 'p0',
    status: 'ok',
    date: '2026-01-05',
    startedAt: '2026-01-05T02:00:00Z',
    finishedAt: '2026-01-05T02:05:00Z',
    lastHeartbeat: '2026-01-05T02:05:00Z',
    timeoutMs: 120_000,
    stats: stats(2),
    moduleResults: [],
    error: null,
    offset: 1,
  },
  {
    runId: 'run-e',
    chain: 'main',
    batch: 'p1',
    status: 'ok',
    date: '2026-01-05',
    startedAt: '2026-01-05T03:00:00Z',
    finishedAt: '2026-01-05T03:05:00Z',
    lastHeartbeat: '2026-01-05T03:05:00Z',
    timeoutMs: 120_000,
    stats: stats(10),
    moduleResults: [
      {
        module: 'index_daily',
        status: 'failed',
        blocking: false,
        stats: stats(0),
        error: 'permission denied by Tushare',
        offset: 3,
        at: 1_767_582_300_000,
      },
    ],
    error: null,
    offset: 2,
  },
  {
    runId: 'run-b',
    chain: 'main',
    batch: 'p0',
    status: 'failed',
    date: '2026-01-06',
    startedAt: '2026-01-06T02:00:00Z',
    finishedAt: '2026-01-06T02:05:00Z',
    lastHeartbeat: '2026-01-06T02:05:00Z',
    timeoutMs: 120_000,
    stats: stats(1),
    moduleResults: [],
    error: 'HTTP 500 from the Tushare API',
    offset: 4,
  },
  {
    runId: 'run-d',
    chain: 'index_daily',
    batch: null,
    status: 'running',
    date: '2026-01-07',
    startedAt: '2026-01-07T01:00:00Z',
    finishedAt: null,
    // Silent for nine hours with a one-minute timeout: stale residue.
    lastHeartbeat: '2026-01-07T01:00:00Z',
    timeoutMs: 60_000,
    stats: null,
    moduleResults: [],
    error: null,
    offset: 5,
  },
  {
    runId: 'run-c',
    chain: 'main',
    batch: 'p0',
    status: 'ok',
    date: '2026-01-07',
    startedAt: '2026-01-07T02:00:00Z',
    finishedAt: '2026-01-07T02:05:00Z',
    lastHeartbeat: '2026-01-07T02:05:00Z',
    timeoutMs: 120_000,
    stats: stats(0),
    moduleResults: [],
    error: null,
    offset: 6,
  },
];

export async function seedProjections(pool: pg.Pool): Promise<void> {
  // SSE calendar: New Year's Day closed, the weekend closed, then sessions.
  const calendar: [string, boolean][] = [
    ['20260101', false],
    ['20260102', true],
    ['20260103', false],
    ['20260104', false],
    ['20260105', true],
    ['20260106', true],
    ['20260107', true],
    ['20260108', true],
    ['20260109', true],
  ];
  for (const [day, open] of calendar)
    await pool.query(
      `INSERT INTO trade_calendar (exchange, cal_date, is_open) VALUES ('SSE', to_date($1, 'YYYYMMDD'), $2)`,
      [day, open],
    );
  for (const code of STOCKS)
    await pool.query(
      `INSERT INTO instrument (asset_class, ts_code, list_date, content_hash)
       VALUES ('stock', $1, DATE '1999-11-10', '\\x00')`,
      [code],
    );
  const bars: [string, string][] = [
    ['000001.SZ', '20260102'],
    ['600000.SH', '20260102'],
    ['000001.SZ', '20260105'],
    ['600000.SH', '20260105'],
    ['000001.SZ', '20260106'],
  ];
  for (const [code, day] of bars)
    await pool.query(
      `INSERT INTO market_bar (asset_class, ts_code, trade_date, close, content_hash, source_topic,
                               source_partition, source_offset)
       VALUES ('stock', $1, to_date($2, 'YYYYMMDD'), 10, '\\x01', 'tushare.raw.daily', 0, 0)`,
      [code, day],
    );
  // The same days have their adjustment factors, so the adj_factor cells follow the daily ones.
  for (const [code, day] of bars)
    await pool.query(
      `INSERT INTO adj_factor (ts_code, trade_date, adj_factor, content_hash)
       VALUES ($1, to_date($2, 'YYYYMMDD'), 1, '\\x01')`,
      [code, day],
    );

  for (const run of RUNS)
    await pool.query(
      `INSERT INTO ingest_runs (run_id, chain, batch, status, from_date, to_date, started_at, last_heartbeat,
                                finished_at, heartbeat_timeout_ms, stats, module_results, error, started_offset)
       VALUES ($1, $2, $3, $4, $5::date, $5::date, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        run.runId,
        run.chain,
        run.batch,
        run.status,
        run.date,
        run.startedAt,
        run.lastHeartbeat,
        run.finishedAt,
        run.timeoutMs,
        run.stats === null ? null : JSON.stringify(run.stats),
        JSON.stringify(run.moduleResults),
        run.error,
        run.offset,
      ],
    );

  await pool.query(
    `INSERT INTO cursor_state (cursor, value, run_id, advanced_offset, advanced_at)
     VALUES ('universe_index_daily_cursor_v1', '200', 'run-c', 7, '2026-01-07T02:06:00Z')`,
  );
  await pool.query(
    `INSERT INTO flags_history (control_offset, flags, actor, reason, restored_from_offset, changed_at) VALUES
       (0, $1, 'seed', 'baseline', NULL, '2026-01-01T00:00:00Z'),
       (8, $2, 'ops', 'p2 paused during the probe review', NULL, '2026-01-05T08:00:00Z')`,
    [JSON.stringify({ ...DEFAULT_FLAGS, updatedAt: 1_767_225_600_000 }), JSON.stringify(STORED_FLAGS)],
  );
  await pool.query(
    `INSERT INTO permission_probe (api_name, passed, tushare_code, message, probed_offset, probed_at)
     VALUES ('stk_premarket', false, 40203, 'no permission', 9, '2026-01-05T09:00:00Z')`,
  );
  await pool.query(
    `INSERT INTO phase_state (current_phase, frozen, frozen_reason, changed_offset, changed_at)
     VALUES ('B', false, NULL, 10, '2026-01-02T00:00:00Z')`,
  );
  await pool.query(
    `INSERT INTO gate_evaluation (control_offset, gate, passed, as_of_trade_date, clean_days, required_days,
                                  failures, evaluated_at) VALUES
       (11, 'p0', false, DATE '2026-01-05', 1, 3, '["clean_days_below_required"]', '2026-01-05T10:00:00Z'),
       (12, 'wave:index_daily', false, NULL, 0, 3, '["running_residue:1"]', '2026-01-07T09:00:00Z'),
       (13, 'p0', false, DATE '2026-01-06', 0, 3, '["blocking_run_failed:20260106"]', '2026-01-06T10:00:00Z')`,
  );
  await pool.query(
    `INSERT INTO alert (control_offset, alert, severity, message, value, threshold, raised_at) VALUES
       (14, 'coverage', 'warning', $1, 0.5, 0.95, '2026-01-07T09:30:00Z'),
       (15, 'running_residue', 'critical', '1 run left running', 1, 0, '2026-01-07T09:31:00Z')`,
    [HOSTILE_MESSAGE],
  );
  // Checkpoints at offset 0: every control event appended later is lag the metrics must show.
  await pool.query(
    `INSERT INTO projection_checkpoint (projection, next_offset) VALUES ('runs', 0), ('flags', 0)`,
  );
}

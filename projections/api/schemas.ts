import { z } from 'zod';
import { endpointsForBatch } from '../../contracts/catalog/index.js';
import { Phase, RunStats, Severity } from '../../contracts/events/control.js';
import { FLAG_NAMES, type FlagName, RolloutFlagsV1 } from '../../contracts/flags.js';
import { MAX_MATRIX_DAYS, MAX_MATRIX_TARGETS } from '../matrix/matrix.js';

/**
 * Every shape the control-plane API reads or writes, defined once: routes validate requests and
 * responses with these, and /openapi.json is generated from them.
 */

const isCalendarDate = (s: string): boolean => {
  const [y, m, d] = [Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8))];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};

/** Tushare's YYYYMMDD, and a day that exists (20260230 does not). */
export const TradeDate = z
  .string()
  .regex(/^\d{8}$/, { message: 'expected YYYYMMDD', abort: true })
  .refine(isCalendarDate, 'not a calendar date');

const Timestamp = z.string().describe('ISO 8601 instant');

/** Run states as the runs projection keeps them: the finished statuses plus `running`. */
export const RunState = z.enum(['running', 'ok', 'partial', 'failed', 'abandoned']);
export type RunState = z.infer<typeof RunState>;

/** `main` is the blocking chain; every recovery module of the catalog runs as its own chain. */
export const CHAINS = ['main', ...endpointsForBatch('module').map((e) => e.apiName)] as [string, ...string[]];
export const Chain = z.enum(CHAINS);

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------------------------------------------------------------------------------------- flags

const FlagNameEnum = z.enum(FLAG_NAMES as [FlagName, ...FlagName[]]);

export const FlagsView = z.object({
  /** The last FlagsChanged state, or the roadmap's baseline when none was ever recorded. */
  stored: RolloutFlagsV1,
  /**
   * What is in force: a switch is on only when its flag is AND the phase record allows it (P0
   * from B, P1 from C, P2 and the recovery modules from D); p2 sub-switches are off while p2Enabled is.
   */
  effective: RolloutFlagsV1,
  /** The phase record the effective switches were computed with. */
  phase: z.object({ current: Phase, frozen: z.boolean() }),
  /** Each switch stored on but not in force, with the reason (`phase`, `p2_master_off`) in words. */
  differences: z.partialRecord(
    FlagNameEnum,
    z.object({ reason: z.enum(['switched_off', 'p2_master_off', 'phase']), detail: z.string() }),
  ),
  updatedAt: z.number().int().nonnegative(),
  source: z.enum(['default', 'history']),
  lastChange: z
    .object({ offset: z.number().int(), actor: z.string(), reason: z.string(), changedAt: Timestamp })
    .nullable(),
});
export type FlagsView = z.infer<typeof FlagsView>;

export const FlagsHistoryEntry = z.object({
  offset: z.number().int().nonnegative(),
  flags: RolloutFlagsV1,
  actor: z.string(),
  reason: z.string(),
  restoredFromOffset: z.number().int().nonnegative().nullable(),
  changedAt: Timestamp,
});
export type FlagsHistoryEntry = z.infer<typeof FlagsHistoryEntry>;

export const FlagsHistoryQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();
export type FlagsHistoryQuery = z.infer<typeof FlagsHistoryQuery>;

export const FlagsHistoryView = z.object({ entries: z.array(FlagsHistoryEntry) });
export type FlagsHistoryView = z.infer<typeof FlagsHistoryView>;

const switches = Object.fromEntries(FLAG_NAMES.map((name) => [name, true])) as Record<FlagName, true>;

/**
 * `POST /flags`: some switches of the one flags schema and why. `updatedAt` is the command's to set,
 * never the caller's.
 */
export const SetFlagsBody = RolloutFlagsV1.pick(switches)
  .partial()
  .extend({ reason: z.string().trim().min(1).max(500) })
  .strict()
  .refine((body) => FLAG_NAMES.some((name) => body[name] !== undefined), {
    message: 'name at least one switch to change',
  });
export type SetFlagsBody = z.infer<typeof SetFlagsBody>;

/** The stored flags after the command; the projections show them once they fold the event. */
export const SetFlagsResult = z.object({
  /** Where the FlagsChanged landed; null when every switch already had the asked value. */
  offset: z.number().int().nonnegative().nullable(),
  changed: z.boolean(),
  stored: RolloutFlagsV1,
  effective: RolloutFlagsV1,
  updatedAt: z.number().int().nonnegative(),
});
export type SetFlagsResult = z.infer<typeof SetFlagsResult>;

// ----------------------------------------------------------------------------------------- runs

export const ModuleResultView = z
  .object({ module: z.string(), status: z.string(), blocking: z.boolean() })
  .catchall(z.unknown());

export const RunView = z.object({
  runId: z.string(),
  chain: z.string(),
  batch: z.string().nullable(),
  status: RunState,
  fromDate: TradeDate.nullable(),
  toDate: TradeDate.nullable(),
  startedAt: Timestamp,
  lastHeartbeat: Timestamp,
  finishedAt: Timestamp.nullable(),
  heartbeatTimeoutMs: z.number().int().positive(),
  /** Running with no heartbeat for longer than its timeout: the reaper will close it as abandoned. */
  stale: z.boolean(),
  stats: RunStats.nullable(),
  moduleResults: z.array(ModuleResultView),
  error: z.string().nullable(),
  startedOffset: z.number().int().nonnegative(),
});
export type RunView = z.infer<typeof RunView>;

export const RunsQuery = z
  .object({
    status: RunState.optional(),
    chain: Chain.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type RunsQuery = z.infer<typeof RunsQuery>;

export const RunsView = z.object({ runs: z.array(RunView) });
export type RunsView = z.infer<typeof RunsView>;

export const RunParams = z.object({ id: z.string().min(1).max(200) }).strict();

// -------------------------------------------------------------------------------------- cursors

export const CursorView = z.object({
  cursor: z.string(),
  value: z.string(),
  runId: z.string().nullable(),
  advancedOffset: z.number().int().nonnegative(),
  advancedAt: Timestamp,
});
export const CursorsView = z.object({ cursors: z.array(CursorView) });
export type CursorsView = z.infer<typeof CursorsView>;

// ---------------------------------------------------------------------------------------- gates

/** A recorded GateEvaluated event, as the gate_evaluation projection keeps it. */
export const GateView = z.object({
  gate: z.string(),
  passed: z.boolean(),
  asOfTradeDate: TradeDate.nullable(),
  cleanDays: z.number().int().nonnegative(),
  requiredDays: z.number().int().positive(),
  /** `cleanDays/requiredDays`. */
  progress: z.string(),
  failures: z.array(z.string()),
  offset: z.number().int().nonnegative(),
  evaluatedAt: Timestamp,
});
export type GateView = z.infer<typeof GateView>;

/** The latest recorded evaluation of every gate that has one. */
export const GatesView = z.object({ gates: z.array(GateView) });
export type GatesView = z.infer<typeof GatesView>;

export const GateSnapshotQuery = z.object({ asOf: TradeDate.optional() }).strict();
export type GateSnapshotQuery = z.infer<typeof GateSnapshotQuery>;

const DayDetail = z.object({
  tradeDate: TradeDate,
  runs: z.number().int().nonnegative(),
  clean: z.boolean(),
  pending: z.boolean(),
  failures: z.array(z.string()),
});

/** One gate in `xasset gate snapshot`: the verdict of projections/gates, both clocks side by side. */
export const GateSnapshotEntry = z.object({
  gate: z.string(),
  passed: z.boolean(),
  /** Which clock proved the gate; null when it did not pass. */
  provenBy: z.enum(['natural', 'as_of']).nullable(),
  failures: z.array(z.string()),
  cleanDays: z.number().int().nonnegative(),
  requiredDays: z.number().int().positive(),
  cleanDayProgress: z.string(),
  cleanAsOfTradeDateProgress: z.string(),
  asOfTradeDate: TradeDate.nullable(),
  residue: z.number().int().nonnegative(),
  days: z.object({ natural: z.array(DayDetail), asOf: z.array(DayDetail) }),
});
export type GateSnapshotEntry = z.infer<typeof GateSnapshotEntry>;

export const GateSnapshot = z.object({
  /** The trade date the as-of clock is evaluated at; null means the latest one a run proves. */
  asOfTradeDate: TradeDate.nullable(),
  generatedAt: Timestamp,
  thresholds: z.object({ requiredDays: z.number().int().positive(), minCoverage: z.number() }),
  /** Where the per-day coverage came from; without the matrix every day reads coverage_unknown. */
  coverage: z.enum(['matrix', 'unavailable']),
  gates: z.array(GateSnapshotEntry),
  /**
   * Phase A's exit gate, as it stands now (store, topics, flags and rollback baselines; failures are
   * condition codes such as `migration_pending:<name>`); null where the snapshot was taken without
   * access to the log.
   */
  foundation: z
    .object({ gate: z.literal('foundation'), passed: z.boolean(), failures: z.array(z.string()) })
    .nullable(),
  runs: z.object({
    total: z.number().int().nonnegative(),
    /** Failed or abandoned runs of the main chain: the ones that block every gate. */
    blocking: z.number().int().nonnegative(),
    byStatus: z.record(RunState, z.number().int().nonnegative()),
  }),
  runningResidue: z.number().int().nonnegative(),
  cursors: z.array(CursorView.pick({ cursor: true, value: true, advancedAt: true })),
});
export type GateSnapshot = z.infer<typeof GateSnapshot>;

// --------------------------------------------------------------------------------------- matrix

export const CellStatus = z.enum(['complete', 'partial', 'missing', 'not_applicable']);
export type CellStatus = z.infer<typeof CellStatus>;

/** An endpoint's day as Tushare has published it (README, "Publication states"). */
export const PublicationState = z.enum(['not_published', 'partial', 'complete', 'revised']);

/**
 * `universe` or a comma-separated list of ts_codes (Tushare codes: `000001.SZ`, `Au99.99`, …); the
 * limits are the matrix's own, checked here so a bad query is a 400 with its field named.
 */
export const MatrixTarget = z
  .string()
  .trim()
  .min(1)
  .transform((s, ctx) => {
    if (s === 'universe') return 'universe' as const;
    const codes = s.split(',').map((c) => c.trim());
    const bad = codes.filter((c) => !/^[A-Za-z0-9][A-Za-z0-9().+&-]{0,39}$/.test(c));
    if (bad.length > 0 || codes.length > MAX_MATRIX_TARGETS) {
      ctx.addIssue({
        code: 'custom',
        message: `expected 'universe' or up to ${MAX_MATRIX_TARGETS} comma-separated ts_codes`,
      });
      return z.NEVER;
    }
    return [...new Set(codes)];
  });
export type MatrixTarget = 'universe' | string[];

const dayNumber = (d: string) =>
  Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8))) / 86_400_000;

const ModuleName = z.string().regex(/^[a-z0-9_]{1,64}$/, 'expected a module name (an api_name)');

/** `daily,stk_mins`: the modules to show; every daily market and minute history endpoint when absent. */
const ModuleList = z
  .string()
  .transform((s) => [...new Set(s.split(',').map((m) => m.trim()))])
  .pipe(z.array(ModuleName).min(1).max(64));

export const MatrixQuery = z
  .object({ target: MatrixTarget, from: TradeDate, to: TradeDate, modules: ModuleList.optional() })
  .strict()
  .superRefine((q, ctx) => {
    if (q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'from must not be after to' });
    else if (dayNumber(q.to) - dayNumber(q.from) + 1 > MAX_MATRIX_DAYS)
      ctx.addIssue({ code: 'custom', path: ['to'], message: `range longer than ${MAX_MATRIX_DAYS} days` });
  });
export type MatrixQuery = z.infer<typeof MatrixQuery>;

/** One target × module × calendar day; closed days are cells too (not_applicable, market closed). */
export const MatrixCell = z.object({
  /** `universe` or a ts_code. */
  target: z.string(),
  module: z.string(),
  tradeDate: TradeDate,
  status: CellStatus,
  /** Instruments listed that day (1 or 0 for a symbol target). */
  expected: z.number().int().nonnegative(),
  /** Stored rows of those instruments. */
  got: z.number().int().nonnegative(),
  coverage: z.number().min(0).max(1).nullable(),
  /** Minute modules: the bar frequency measured (`1min`); expected and got then count bars. */
  freq: z.string().optional(),
  /** Minute modules: the gray stage the day is judged by; null before the module's gray release. */
  grayStage: z.string().nullable().optional(),
  /** Minute modules: instruments of the day's gray pool owing bars (1 or 0 for a symbol target). */
  instruments: z.number().int().nonnegative().optional(),
  /** Minute modules, universe: how many of those lack some bars. */
  instrumentsShort: z.number().int().nonnegative().optional(),
  /** Universe only: stored rows of instruments the reference data does not list that day. */
  unlisted: z.number().int().nonnegative().optional(),
  /** Universe only: listed stocks suspended all day (suspend_d), not counted in `expected`. */
  suspended: z.number().int().nonnegative().optional(),
  /** Universe only, applicable cells: not_published, partial, complete or revised. */
  publication: PublicationState.optional(),
  /** Universe only: stored rows of the day a later fetch revised (a correction counted once). */
  revisions: z.number().int().nonnegative().optional(),
  /** Why a cell is not applicable (`suspended` for a stock suspended all day). */
  reason: z.string().optional(),
});
export type MatrixCell = z.infer<typeof MatrixCell>;

const StatusCounts = z.object({
  complete: z.number().int().nonnegative(),
  partial: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  not_applicable: z.number().int().nonnegative(),
});

/** An hour or day quota used up: the module's calls wait until it frees (README, "The call budget"). */
export const QuotaStopView = z.object({
  module: z.string(),
  window: z.enum(['hour', 'day']),
  limit: z.number().int().positive(),
  /** Milliseconds since the epoch. */
  blockedUntil: z.number(),
});
export type QuotaStopView = z.infer<typeof QuotaStopView>;

export const MatrixView = z.object({
  target: z.union([z.literal('universe'), z.array(z.string())]),
  from: TradeDate,
  to: TradeDate,
  /** Row and column order of the grid. */
  modules: z.array(z.string()),
  tradeDates: z.array(TradeDate),
  cells: z.array(MatrixCell),
  summary: z.object({
    cells: z.number().int().nonnegative(),
    byStatus: StatusCounts,
    byPublication: z.record(PublicationState, z.number().int().nonnegative()),
    byModule: z.record(z.string(), StatusCounts.extend({ coverage: z.number().nullable() })),
  }),
  /** Modules an hour or day quota stops now: their missing days wait for the quota, not for Tushare. */
  quotaStops: z.array(QuotaStopView).optional(),
});
export type MatrixView = z.infer<typeof MatrixView>;

/** One cell: `universe` or a single ts_code. */
const ExplainTarget = MatrixTarget.refine((t) => t === 'universe' || t.length === 1, {
  message: "expected 'universe' or one ts_code",
}).transform((t) => (t === 'universe' ? t : (t[0] as string)));

export const ExplainQuery = z
  .object({ target: ExplainTarget, module: ModuleName, tradeDate: TradeDate })
  .strict();
export type ExplainQuery = z.infer<typeof ExplainQuery>;

const RunSummary = z.object({
  runId: z.string(),
  chain: z.string(),
  batch: z.string().nullable(),
  status: z.string(),
  fromDate: z.string().nullable(),
  toDate: z.string().nullable(),
  /** Milliseconds since the epoch. */
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  error: z.string().nullable(),
});

/** Why a cell has its colour (DESIGN §6): what was expected, what is stored, and what was in force. */
export const ExplainView = MatrixCell.omit({ reason: true }).extend({
  /** Up to 20 ts_codes expected that day with no stored row (minute modules: lacking bars). */
  missingSample: z.array(z.string()),
  /** Minute modules: up to 20 instruments lacking bars that day, in code order, with the count each lacks. */
  missingBars: z
    .array(
      z.object({
        tsCode: z.string(),
        expected: z.number().int().nonnegative(),
        got: z.number().int().nonnegative(),
        missing: z.number().int().nonnegative(),
      }),
    )
    .optional(),
  /** Universe only: when the first and the latest revision of the day were stored (ms); null when none. */
  firstRevisedAt: z.number().nullable().optional(),
  lastRevisedAt: z.number().nullable().optional(),
  lastRun: RunSummary.nullable(),
  lastError: z.object({ runId: z.string(), error: z.string(), at: z.number() }).nullable(),
  /** The module's switches as in force on the cell's date (p2 sub-switches inert without p2Enabled). */
  flagsInForce: z.partialRecord(FlagNameEnum, z.boolean()),
  flagsUpdatedAt: z.number().int().nonnegative(),
  /**
   * Which flags judged the cell: those in force at the end of its trade date (`end_of_trade_date`),
   * set by the FlagsChanged at `offset` (null: the defaults, before any change).
   */
  flagsAsOf: z.object({
    tradeDate: TradeDate,
    rule: z.enum(['end_of_trade_date', 'stored']),
    offset: z.number().int().nonnegative().nullable(),
    changedAt: z.number().nullable(),
  }),
  /**
   * The phase record in force at the end of the cell's trade date (the phase event at `offset`), for
   * the audit; the cell is judged by the record in force now, which governs backfills too.
   */
  phaseAsOf: z.object({
    tradeDate: TradeDate,
    rule: z.enum(['end_of_trade_date', 'stored']),
    phase: Phase,
    frozen: z.boolean(),
    offset: z.number().int().nonnegative().nullable(),
    changedAt: z.number().nullable(),
  }),
  /** The permission probe of the module's endpoint in force at the end of the cell's trade date. */
  probes: z.array(
    z.object({
      apiName: z.string(),
      passed: z.boolean(),
      tushareCode: z.number().int().nullable(),
      message: z.string().nullable(),
      /** Milliseconds since the epoch. */
      probedAt: z.number(),
    }),
  ),
  probesAsOf: z.object({ tradeDate: TradeDate, rule: z.enum(['end_of_trade_date', 'stored']) }),
  notApplicableReason: z.string().optional(),
  /** The module's hour or day quota stop in force now, if any. */
  quotaStops: z.array(QuotaStopView).optional(),
});
export type ExplainView = z.infer<typeof ExplainView>;

// --------------------------------------------------------------------------------------- status

export const AlertView = z.object({
  offset: z.number().int().nonnegative(),
  alert: z.string(),
  /** `resolved`: the close of the alert of that name (an AlertResolved; its severity is `info`). */
  kind: z.enum(['raised', 'resolved']),
  severity: Severity,
  message: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  raisedAt: Timestamp,
});
export type AlertView = z.infer<typeof AlertView>;

export const PhaseView = z.object({
  current: Phase,
  frozen: z.boolean(),
  frozenReason: z.string().nullable(),
  /** Null while no phase event was ever recorded (the system starts in phase A). */
  changedAt: Timestamp.nullable(),
});
export type PhaseView = z.infer<typeof PhaseView>;

export const Environment = z.object({
  log: z.enum(['embedded', 'kafka']),
  store: z.enum(['embedded-pglite', 'postgres']),
  storageMode: z.enum(['timescaledb', 'postgresql']).nullable(),
});
export type Environment = z.infer<typeof Environment>;

export const StatusView = z.object({
  generatedAt: Timestamp,
  phase: PhaseView,
  batches: z.object({ p0: z.boolean(), p1: z.boolean(), p2: z.boolean() }),
  /** Every gate evaluated now, as the gate snapshot does. */
  gates: z.array(
    GateSnapshotEntry.pick({
      gate: true,
      passed: true,
      provenBy: true,
      cleanDays: true,
      requiredDays: true,
      cleanDayProgress: true,
      cleanAsOfTradeDateProgress: true,
      failures: true,
    }),
  ),
  coverage: GateSnapshot.shape.coverage,
  /** The switches in force: flags AND the phase record. */
  flags: RolloutFlagsV1,
  /** Switches stored on but not in force, and why. */
  flagDifferences: FlagsView.shape.differences,
  runningResidue: z.object({
    running: z.number().int().nonnegative(),
    stale: z.number().int().nonnegative(),
  }),
  alerts: z.array(AlertView),
  environment: Environment,
});
export type StatusView = z.infer<typeof StatusView>;

/** The page's matrix range; whatever is given is checked again as a MatrixQuery once defaults fill the rest. */
export const StatusPageQuery = z
  .object({ target: z.string().optional(), from: TradeDate.optional(), to: TradeDate.optional() })
  .strict();
export type StatusPageQuery = z.infer<typeof StatusPageQuery>;

// -------------------------------------------------------------------------------------- metrics

/** What /metrics exposes, gathered in one read; rendering to Prometheus text is separate. */
export const MetricsSnapshot = z.object({
  phase: PhaseView.pick({ current: true, frozen: true }),
  flags: FlagsView.pick({ stored: true, effective: true }),
  /** The latest recorded verdict of every gate that has one. */
  gates: z.array(GateView.pick({ gate: true, passed: true, cleanDays: true, requiredDays: true })),
  runsByStatus: z.array(z.object({ chain: z.string(), status: RunState, count: z.number().int() })),
  rows: z.array(z.object({ chain: z.string(), fetched: z.number(), emitted: z.number() })),
  runningResidue: z.number().int().nonnegative(),
  staleRunning: z.number().int().nonnegative(),
  alertsBySeverity: z.array(z.object({ severity: Severity, count: z.number().int() })),
  /** Absent when the log cannot be asked for its end offsets. */
  consumerLag: z
    .array(
      z.object({ consumer: z.string(), topic: z.string(), partition: z.number().int(), lag: z.number() }),
    )
    .nullable(),
  projectionLag: z.array(z.object({ projection: z.string(), lag: z.number().nullable() })),
});
export type MetricsSnapshot = z.infer<typeof MetricsSnapshot>;

/** `GET /gray` and `xasset gray show`: every P2 module's gray release (DESIGN §10). */
export const GrayView = z.object({
  phase: z.object({ current: Phase, frozen: z.boolean() }),
  ladder: z.array(z.string()),
  requiredDays: z.number().int().positive(),
  modules: z.array(
    z.object({
      module: z.string(),
      /** The switch in force (flags AND phase). */
      effective: z.boolean(),
      /** Null before the module started. */
      stage: z.string().nullable(),
      since: z.object({ offset: z.number().int(), at: z.number().int() }).nullable(),
      share: z.number(),
      allowList: z.array(z.string()),
      /** Per-instrument endpoints: the whole pool and the codes the stage fetches of it. */
      pools: z.array(z.object({ apiName: z.string(), members: z.number().int(), fetched: z.number().int() })),
      gate: z
        .object({
          passed: z.boolean(),
          cleanDays: z.number().int(),
          requiredDays: z.number().int(),
          failures: z.array(z.string()),
        })
        .nullable(),
      probesMissing: z.array(z.string()),
      next: z.object({ action: z.string(), to: z.string(), reason: z.string() }).nullable(),
      waiting: z.array(z.object({ code: z.string(), text: z.string() })),
    }),
  ),
});
export type GrayView = z.infer<typeof GrayView>;

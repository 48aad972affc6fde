/** A run as the gates see it: one row of the runs projection (`ingest_runs`), times in ms. */
export type RunState = 'running' | 'ok' | 'partial' | 'failed' | 'abandoned';

/** A recovery module's outcome reported inside a run (a `ModuleResult` event). */
export interface ModuleOutcome {
  module: string;
  status: Exclude<RunState, 'running'>;
}

export interface RunView {
  runId: string;
  /** `main` (blocking) or a recovery module's api_name (non-blocking for the main chain). */
  chain: string;
  /** The batch a main run fetched; null means every enabled batch in one run. */
  batch: string | null;
  status: RunState;
  /** YYYYMMDD; `toDate` is the as-of trade date the run proves (a replay sets it to the day replayed). */
  fromDate: string | null;
  toDate: string | null;
  startedAt: number;
  finishedAt: number | null;
  lastHeartbeat: number;
  /** A `running` run whose heartbeat is older than this is left over (residue), not in progress. */
  heartbeatTimeoutMs: number;
  /** Control-log offset of the run's RunStarted: the order the baseline boundary compares against. */
  controlOffset: number;
  moduleResults?: readonly ModuleOutcome[];
  /** Set for a run forced past the phase rules (`--force-phase`): it never counts for a gate. */
  forcePhase?: string | null;
}

/**
 * Where Tushare is with one endpoint's day (README, "Publication states"): nothing stored yet,
 * fewer rows than the expected set, every expected row, or every expected row and some of them
 * changed by a later fetch.
 */
export type PublicationState = 'not_published' | 'partial' | 'complete' | 'revised';

/** Coverage of one module on one trade date, from the status matrix; null when not applicable. */
export interface CoveragePoint {
  tradeDate: string;
  module: string;
  coverage: number | null;
  /** The day's publication state; a partial day is never clean, whatever its coverage ratio. */
  publication?: PublicationState;
}

export interface GateThresholds {
  requiredDays: number;
  minCoverage: number;
  /** How far main-chain coverage may sit under its baseline before it counts as a regression. */
  baselineTolerance?: number;
}

/**
 * The boundary the roadmap draws at the "stable repaired baseline run": runs before it (by control
 * offset or by start time) do not count for or against a gate.
 */
export interface GateBaseline {
  offset?: number;
  startedAt?: number;
}

export const WAVES = ['index_daily', 'daily_basic', 'moneyflow'] as const;
export type Wave = (typeof WAVES)[number];
export type WaveGate = `wave:${Wave}`;
export type BatchGate = 'p0' | 'p1' | 'p2';
/** A P2 module's gate on its gray stage (contracts/gray.ts): evaluated with the stage's own baseline. */
export type GrayGate = `gray:${string}`;
export type GateName = BatchGate | WaveGate | GrayGate;

export type Clock = 'natural' | 'as_of';

export interface DayDetail {
  tradeDate: string;
  /** In-scope runs assigned to the day on this clock. */
  runs: number;
  clean: boolean;
  /** Nothing finished yet on the most recent day: it neither counts nor breaks the streak. */
  pending: boolean;
  failures: string[];
}

export interface GateVerdict {
  gate: GateName;
  passed: boolean;
  /** Which clock proved the gate; null when it did not pass. */
  provenBy: Clock | null;
  /** Stable condition codes, empty when passed. */
  failures: string[];
  cleanDays: number;
  requiredDays: number;
  /** Clean trading days in a row on the wall clock (runs counted on the day they ran). */
  cleanDayProgress: string;
  /** Clean trading days in a row by the trade date each run proves (as-of replays count here). */
  cleanAsOfTradeDateProgress: string;
  /** The trade date the as-of count starts from. */
  asOfTradeDate: string | null;
  /** In-scope runs left `running` past their heartbeat timeout. */
  residue: number;
  days: { natural: DayDetail[]; asOf: DayDetail[] };
}

export interface GateInput {
  gate: GateName;
  runs: readonly RunView[];
  coverage: readonly CoveragePoint[];
  /** Open trade dates (YYYYMMDD) of the trading calendar, any order. */
  openDates: readonly string[];
  thresholds: GateThresholds;
  baseline?: GateBaseline;
  /** Main-chain coverage per module at the baseline; no day may fall under it. */
  mainBaseline?: Readonly<Record<string, number>>;
  /** Evaluate the as-of clock as of this trade date instead of the latest one a run proves. */
  asOf?: string;
  /** Wall-clock time of the evaluation (ms). */
  now: number;
  /** May as-of replays prove the gate in place of waiting real days (default true, see evaluate.ts). */
  allowAsOfProof?: boolean;
}

import { type ApiName, type AssetClass, type EndpointSpec, endpoint } from '../contracts/catalog/index.js';
import { addDays, chinaDate } from '../contracts/dates.js';
import { CommandRefusedError, ConfigError } from '../contracts/errors.js';
import type { RolloutFlags } from '../contracts/flags.js';
import { fetchesAt, type GrayStage, grayMembers, isGrayModule } from '../contracts/gray.js';
import { canNormalize } from '../processors/normalize/index.js';
import type { ProcessStats } from '../processors/processor.js';
import { ControlWriter } from '../producers/fetch/control.js';
import { cursorValues } from '../producers/fetch/cursor-log.js';
import { handPickedStage, type JobStage, planJob, REFERENCE_STAGE } from '../producers/fetch/job.js';
import { CALENDAR_API, dailyRange, type EndpointSelection } from '../producers/fetch/planner.js';
import {
  configuredPools,
  narrowPool,
  type PoolCandidate,
  type ResolvedPool,
  recordedPools,
  resolvePool,
} from '../producers/fetch/pools.js';
import type { FetchProgress } from '../producers/fetch/progress.js';
import { earliestRecheck } from '../producers/fetch/recheck.js';
import { DEFAULT_TOPICS, type FetchRunResult, runFetch } from '../producers/fetch/run.js';
import type { TushareSource } from '../producers/tushare/source.js';
import type { MatrixPoolSource } from '../projections/api/adapters.js';
import { setFlags } from '../projections/commands/flags.js';
import { WAVES, type Wave } from '../projections/gates/types.js';
import { nextWaveAction, waveFlag } from '../projections/gates/waves.js';
import { grayFailure } from '../projections/gray/commands.js';
import { verifyControlLogAgainst } from '../projections/log/control-check.js';
import { foldControlLog } from '../projections/log/control-view.js';
import {
  effectiveSwitches,
  type PhaseRecord,
  switchDifferences,
  switchStates,
} from '../projections/policy/switches.js';
import { processRun } from './pipeline.js';
import { readRecheck } from './recheck.js';
import type { Runtime } from './runtime.js';

export interface JobRequest {
  /** Narrow the job by hand to one batch or a list of api names: one main run of exactly those. */
  selection?: EndpointSelection;
  /**
   * Realtime instead of history: per gray module in force, its realtime endpoints on its stage's
   * pool, for `to` (today in China by default). The caller checks the session is open.
   */
  realtime?: boolean;
  /** An explicit inclusive range for every run; absent: from each run's cursors to `today`. */
  from?: string;
  to?: string;
  /** The first day a never-fetched endpoint (or a new shard) starts from; default from the config. */
  historyFrom?: string;
  force?: boolean;
  actor: string;
  /**
   * `--force-phase`: why this job sets the phase rule aside (a backfill before a phase opens). The
   * flags still apply; every run records the reason in its RunStarted and counts for no gate.
   */
  forcePhase?: string;
  onProgress?: (stage: JobStage, progress: FetchProgress) => void;
  onStage?: (stage: JobStage, result: StageResult) => void;
  logger?: Parameters<typeof runFetch>[0]['logger'];
  signal?: AbortSignal;
}

export interface StageResult {
  stage: JobStage;
  from: string;
  to: string;
  run: FetchRunResult;
  /** The pools the run planned with (as its RunStarted records them). */
  pools: ResolvedPool[];
  /** Days at or before the cursors this run fetched again: the re-check window and partial days. */
  recheck: Partial<Record<ApiName, string[]>>;
  /** Set when the run's failure switched its module off (the wave rollback rule). */
  switchedOff?: string;
}

export interface JobResult {
  /** The worst outcome of the main chain's runs: what the job's exit status follows. */
  status: FetchRunResult['status'];
  flags: RolloutFlags;
  stages: StageResult[];
  /** Stages not run because a blocking one failed or the job was interrupted. */
  notRun: string[];
  /** Stages not run because the phase record shuts every endpoint of theirs (a freeze during the job included). */
  closedByPhase: string[];
  /** P2 modules not run because their gray stage fetches nothing yet (not started, or probing). */
  closedByGray: { module: string; stage: GrayStage | null }[];
  /** The phase record the job started in. */
  phase: PhaseRecord;
  /** Switches stored on but not in force when the job started, and why: what a run at phase A says. */
  notInForce: ReturnType<typeof switchDifferences>;
  /** Reference records processed before the pools were resolved. */
  referenceProcessed: ProcessStats | null;
}

const STATUS_ORDER: readonly FetchRunResult['status'][] = ['ok', 'partial', 'failed', 'abandoned'];

/**
 * One daily job (`xasset run` / `fetch` without a selection): the reference run, then its
 * reference data processed so the pools can be drawn from the store, then each batch of the main
 * chain and each switched-on recovery module in wave order, every one its own run. A narrowed job
 * (`--batch`, `--apis`) is a single main run with the pools the store already allows.
 *
 * Flags and cursors are folded from the control log (the source of truth), not from projection
 * tables that may lag.
 */
export async function runJob(
  runtime: Runtime,
  source: TushareSource,
  request: JobRequest,
): Promise<JobResult> {
  const cfg = runtime.config;
  const ports = { log: runtime.log, codec: runtime.codec };
  // Cursors and flags folded from a log that lost events would plan as if from a fresh start.
  await verifyControlLogAgainst(ports, runtime.pool);
  const control = await foldControlLog(ports);
  const forced = { forcePhase: request.forcePhase !== undefined };
  const flags = effectiveSwitches(control.flags.current, control.phases, forced);
  // The one effective-switch rule (flags AND phase), asked again before every stage: a freeze
  // appended while the job runs stops the stages it shuts at once.
  const statesOf = (state: { flags: { current: RolloutFlags }; phases: PhaseRecord }) =>
    switchStates(state.flags.current, state.phases, forced);
  let states = statesOf(control);
  const isEffective = (spec: EndpointSpec) => states[spec.switch].effective;
  const shutByPhase = (spec: EndpointSpec) => states[spec.switch].reason === 'phase';
  let phase: PhaseRecord = control.phases;
  let gray = control.gray;
  const closedByPhase: string[] = [];
  const closedByGray: JobResult['closedByGray'] = [];
  const cursors: Record<string, string> = { ...cursorValues(control.cursors) };
  const today = request.to ?? chinaDate();
  const historyFrom =
    request.historyFrom ?? cfg.universe.historyFrom ?? addDays(today, 1 - cfg.universe.historyDays);
  const stages =
    request.selection === undefined
      ? planJob(isEffective, { realtime: request.realtime === true })
      : [handPickedStage(request.selection)];

  const results: StageResult[] = [];
  const notRun: string[] = [];
  let referenceProcessed: ProcessStats | null = null;
  let pools: ResolvedPool[] | undefined;
  let stopped = false;

  for (const stage of stages) {
    if (stopped || request.signal?.aborted) {
      notRun.push(stage.name);
      continue;
    }
    if (stage.batch !== REFERENCE_STAGE && pools === undefined) {
      // Pools are drawn from stored reference data: what this job's reference run fetched is
      // processed first, so a fresh store resolves them on its first run.
      const reference = results.find((r) => r.stage.batch === REFERENCE_STAGE);
      if (reference !== undefined) referenceProcessed = await processReference(runtime, reference.stage);
      pools = await resolvePools(runtime, stages, { today, cursors });
    }
    if (results.length > 0) {
      const now = await foldControlLog(ports);
      states = statesOf(now);
      phase = now.phases;
      gray = now.gray;
    }
    // A stage the phase shuts is not run; one only the flags switch off still runs and reports
    // its endpoints skipped with reason switch_off.
    const specs = stage.endpoints.map((api) => endpoint(api));
    if (!specs.some(isEffective) && specs.some((spec) => shutByPhase(spec))) {
      closedByPhase.push(stage.name);
      continue;
    }
    const module = isGrayModule(stage.chain) ? stage.chain : null;
    const grayStage = module === null ? null : (gray.modules[module]?.stage ?? null);
    if (module !== null && !fetchesAt(grayStage)) {
      closedByGray.push({ module, stage: grayStage });
      continue;
    }
    const own = (pools ?? [])
      .filter((p) => stage.endpoints.includes(p.apiName))
      .map((p) =>
        module === null || grayStage === null
          ? p
          : narrowPool(p, grayMembers(module, grayStage, p.members, cfg.gray)),
      );
    // Realtime data is today's only: there is no earlier day to fetch again.
    const recheck =
      request.from === undefined && !request.force && stage.batch !== REFERENCE_STAGE && !request.realtime
        ? await readRecheck(runtime, { endpoints: stage.endpoints, cursors, today, flags })
        : {};
    const range = withRecheck(
      stageRange(stage, own, { request, today, historyFrom, flags, cursors, phase }),
      recheck,
    );
    const run = await runFetch({
      source,
      log: runtime.log,
      codec: runtime.codec,
      endpoints: stage.endpoints,
      batch: stage.batch,
      from: range.from,
      to: range.to,
      flags,
      cursors,
      pools: stage.batch === REFERENCE_STAGE ? undefined : recordedPools(own),
      phase,
      ...(request.forcePhase !== undefined && { forcePhase: request.forcePhase }),
      force: request.force,
      recheck,
      today,
      chain: stage.chain,
      actor: request.actor,
      heartbeatMs: cfg.pipeline.heartbeatMs,
      heartbeatTimeoutMs: cfg.pipeline.heartbeatTimeoutMs,
      onProgress: request.onProgress && ((p) => request.onProgress?.(stage, p)),
      logger: request.logger,
      signal: request.signal,
    });
    for (const move of run.cursorsAdvanced) cursors[move.cursor] = move.value;
    const result: StageResult = { stage, ...range, run, pools: own, recheck };
    if (!stage.blocking) await afterModule(runtime, request.actor, result, cursors);
    results.push(result);
    request.onStage?.(stage, result);
    if (stage.blocking && (run.status === 'failed' || run.status === 'abandoned')) stopped = true;
  }

  const main = results.filter((r) => r.stage.blocking).map((r) => r.run.status);
  const status = main.reduce<FetchRunResult['status']>(
    (worst, s) => (STATUS_ORDER.indexOf(s) > STATUS_ORDER.indexOf(worst) ? s : worst),
    'ok',
  );
  return {
    status,
    flags,
    stages: results,
    notRun,
    closedByPhase,
    closedByGray,
    phase: control.phases,
    notInForce: switchDifferences(control.flags.current, control.phases, forced),
    referenceProcessed,
  };
}

function stageRange(
  stage: JobStage,
  pools: readonly ResolvedPool[],
  context: {
    request: JobRequest;
    today: string;
    historyFrom: string;
    flags: RolloutFlags;
    cursors: Readonly<Record<string, string>>;
    phase: PhaseRecord;
  },
): { from: string; to: string } {
  const { request, today } = context;
  if (request.from !== undefined) return { from: request.from, to: today };
  const range = dailyRange({
    today,
    endpoints: stage.endpoints,
    flags: context.flags,
    cursors: context.cursors,
    initialFrom: context.historyFrom,
    phase: context.phase,
    ...(request.forcePhase !== undefined && { forcePhase: true }),
  });
  // A new shard's history starts where a fresh store's would.
  const backfills = pools.some((p) => p.backfill.length > 0);
  return backfills && context.historyFrom < range.from ? { from: context.historyFrom, to: range.to } : range;
}

/** A range that starts early enough for the days the run fetches again (and their calendar). */
function withRecheck(
  range: { from: string; to: string },
  recheck: Partial<Record<ApiName, string[]>>,
): { from: string; to: string } {
  const earliest = earliestRecheck(recheck);
  return earliest !== undefined && earliest < range.from ? { ...range, from: earliest } : range;
}

/** Processes the reference run's topics (and the calendar's) up to their end. */
async function processReference(runtime: Runtime, stage: JobStage): Promise<ProcessStats> {
  const topics = [CALENDAR_API, ...stage.endpoints]
    .filter((api) => canNormalize(api))
    .map((api) => DEFAULT_TOPICS.raw(api));
  return processRun(runtime, { until: 'caught-up', topics });
}

/** The configured pools of the endpoints some stage fetches, drawn from the stored instruments. */
async function resolvePools(
  runtime: Runtime,
  stages: readonly JobStage[],
  context: { today: string; cursors: Readonly<Record<string, string>> },
): Promise<ResolvedPool[]> {
  const wanted = new Set(stages.flatMap((s) => s.endpoints));
  const out: ResolvedPool[] = [];
  for (const definition of configuredPools(runtime.config.universe)) {
    if (!wanted.has(definition.apiName)) continue;
    const candidates = await readPoolCandidates(runtime, definition.assetClass);
    out.push(resolvePool(definition, candidates, context));
  }
  return out;
}

async function readPoolCandidates(runtime: Runtime, assetClass: AssetClass): Promise<PoolCandidate[]> {
  const { rows } = await runtime.pool.query<{
    ts_code: string;
    exchange: string | null;
    list_date: string | null;
    delist_date: string | null;
  }>(
    `SELECT ts_code, exchange, to_char(list_date, 'YYYYMMDD') AS list_date,
            to_char(delist_date, 'YYYYMMDD') AS delist_date
       FROM instrument WHERE asset_class = $1 ORDER BY ts_code`,
    [assetClass],
  );
  return rows.map((r) => ({
    tsCode: r.ts_code,
    market: r.exchange,
    listDate: r.list_date,
    delistDate: r.delist_date,
  }));
}

/**
 * After a module's run: a failed wave switches its own module off at once (the roadmap's rollback
 * rule, `nextWaveAction`), and a clean run moves the shard cursor past the shard it fetched.
 */
async function afterModule(
  runtime: Runtime,
  actor: string,
  result: StageResult,
  cursors: Record<string, string>,
): Promise<void> {
  const { run, stage } = result;
  const ports = { log: runtime.log, codec: runtime.codec };
  if (run.status === 'ok') {
    const writer = new ControlWriter(runtime.log, runtime.codec, actor, DEFAULT_TOPICS.control);
    for (const pool of result.pools) {
      if (pool.shardMove === undefined) continue;
      await writer.append('CursorAdvanced', { ...pool.shardMove, runId: run.runId });
      cursors[pool.shardMove.cursor] = pool.shardMove.value;
    }
    return;
  }
  if (run.status === 'failed' && isGrayModule(stage.chain)) {
    const stepped = await grayFailure(ports, {
      module: stage.chain,
      runId: run.runId,
      error: run.error ?? null,
      actor,
      reason: 'module run failed',
      now: Date.now(),
      settings: runtime.config.gray,
    });
    if (stepped.step !== null) result.switchedOff = stage.chain;
    return;
  }
  if (run.status !== 'failed' || !(WAVES as readonly string[]).includes(stage.name)) return;
  const wave = stage.name as Wave;
  const control = await foldControlLog(ports);
  const action = nextWaveAction({
    flags: control.flags.current,
    verdicts: {},
    lastOutcome: { [wave]: run.status },
  });
  if (action.action !== 'switch_off' || action.wave !== wave) return;
  await setFlags(ports, {
    changes: action.patch,
    actor,
    reason: `${action.reason}: ${run.error ?? 'failed'}`.slice(0, 500),
    now: Date.now(),
  });
  result.switchedOff = waveFlag(wave);
}

/**
 * The configured pools' members as the status matrix measures them: FX against the whitelist,
 * index_daily against its whole pool (every shard, done or not). A pool the store cannot resolve
 * yet (no reference data, or a configured code it lacks) is left out: its module is then measured
 * against the whole listed universe rather than the status API failing.
 */
export function matrixPools(runtime: Runtime): MatrixPoolSource {
  return async () => {
    const out: Record<string, readonly string[]> = {};
    for (const definition of configuredPools(runtime.config.universe)) {
      const candidates = await readPoolCandidates(runtime, definition.assetClass);
      if (candidates.length === 0) continue;
      try {
        out[definition.apiName] = definition.members(candidates, chinaDate());
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
      }
    }
    return out;
  };
}

export interface FetchRequest {
  endpoints: EndpointSelection;
  /** Inclusive YYYYMMDD range; absent means the daily incremental range (cursor + 1 … today). */
  from?: string;
  to?: string;
  force?: boolean;
  /** `--force-phase`: why this run sets the phase rule aside. */
  forcePhase?: string;
  actor: string;
  onProgress?: (progress: FetchProgress) => void;
  logger?: Parameters<typeof runFetch>[0]['logger'];
  signal?: AbortSignal;
}

/** One main run of exactly these endpoints: the job narrowed by hand, as `fetch --batch/--apis` runs it. */
export async function fetchRun(
  runtime: Runtime,
  source: TushareSource,
  request: FetchRequest,
): Promise<FetchRunResult & { flags: RolloutFlags; from: string; to: string }> {
  const { onProgress, endpoints, ...rest } = request;
  const job = await runJob(runtime, source, {
    ...rest,
    selection: endpoints,
    ...(onProgress !== undefined && { onProgress: (_stage: JobStage, p: FetchProgress) => onProgress(p) }),
  });
  const stage = job.stages[0];
  if (stage === undefined) {
    const why = Object.values(job.notInForce).map((d) => d.detail);
    throw new CommandRefusedError('fetch', why.length > 0 ? why : ['nothing selected is switched on'], {
      closedByPhase: job.closedByPhase,
    });
  }
  return { ...stage.run, flags: job.flags, from: stage.from, to: stage.to };
}

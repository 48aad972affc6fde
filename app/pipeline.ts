import { rawTopic } from '../contracts/catalog/index.js';
import type { Config } from '../contracts/config.js';
import { chinaDate } from '../contracts/dates.js';
import { ConfigError } from '../contracts/errors.js';
import { StoreCallBudget } from '../infra/store/call-budget.js';
import { NORMALIZED_API_NAMES } from '../processors/normalize/index.js';
import { type ProcessStats, runProcessor } from '../processors/processor.js';
import { type OffsetsReset, type ResetSpec, resetOffsets } from '../processors/reset-offsets.js';
import { cursorValues } from '../producers/fetch/cursor-log.js';
import { dailyRange, type EndpointSelection } from '../producers/fetch/planner.js';
import type { SandboxDataset } from '../producers/sandbox/dataset.js';
import { loadFaultPlan } from '../producers/sandbox/faults.js';
import { openRecordedDataset } from '../producers/sandbox/recorded.js';
import { type Sandbox, startSandbox } from '../producers/sandbox/server.js';
import { createSyntheticMarket } from '../producers/sandbox/synthetic/index.js';
import { type CallBudget, tokenHash } from '../producers/tushare/budget.js';
import { createTushareClient, type SourceLog } from '../producers/tushare/client.js';
import type { TushareSource } from '../producers/tushare/source.js';
import { appendControl, newControlEvent } from '../projections/log/control-log.js';
import { foldControlLog } from '../projections/log/control-view.js';
import { budgetKey } from '../projections/reducers/budgets.js';
import { effectiveOf } from '../projections/reducers/flags.js';
import { type CatchUpReport, ProjectionRunner } from '../projections/runner/runner.js';
import { writeChanges } from '../projections/store/tables.js';
import type { Runtime } from './runtime.js';

/** The real Tushare Pro endpoint: calling it without a token can only fail, so it is refused up front. */
const REAL_API_HOST = 'api.tushare.pro';

/**
 * The call budget every producer of this token shares through the store: limits Tushare states
 * are recorded as CallBudgetLearned (its projection row written at once, so producers running
 * beside this one keep to it from their next call) and honoured by every later run.
 */
export function sharedCallBudget(cfg: Config, runtime: Pick<Runtime, 'pool' | 'log' | 'codec'>): CallBudget {
  const hash = tokenHash(cfg.tushare.token?.reveal() ?? '');
  return new StoreCallBudget({
    pool: runtime.pool,
    tokenHash: hash,
    callsPerMinute: cfg.tushare.callsPerMinute,
    limits: cfg.tushare.rateLimits,
    windowMs: cfg.tushare.rateWindowMs,
    async record(limit) {
      const payload = { tokenHash: hash, ...limit };
      const event = newControlEvent('CallBudgetLearned', payload, {
        actor: 'tushare-client',
        now: Date.now(),
      });
      const [offset] = await appendControl({ log: runtime.log, codec: runtime.codec }, event);
      const entry = { ...payload, offset: offset as number, at: event.occurredAt };
      const client = await runtime.pool.connect();
      try {
        await writeChanges(client, 'budgets', { budgets: {} }, { budgets: { [budgetKey(entry)]: entry } });
      } finally {
        client.release();
      }
    },
  });
}

/**
 * A Tushare client from the config; `apiUrl` points it at a sandbox instead. With a runtime, it
 * spends the budget shared through the store; without one, a budget of its own.
 */
export function tushareSource(
  cfg: Config,
  options: { apiUrl?: string; log?: SourceLog; runtime?: Pick<Runtime, 'pool' | 'log' | 'codec'> } = {},
): TushareSource {
  const apiUrl = options.apiUrl ?? cfg.tushare.apiUrl;
  if (!cfg.tushare.token && new URL(apiUrl).hostname === REAL_API_HOST) {
    throw new ConfigError([
      {
        path: 'tushare.token (TUSHARE_TOKEN)',
        message: 'required for the real Tushare API; use --sandbox or TUSHARE_API_URL for the sandbox',
      },
    ]);
  }
  return createTushareClient({
    apiUrl,
    token: cfg.tushare.token,
    callsPerMinute: cfg.tushare.callsPerMinute,
    rateLimits: cfg.tushare.rateLimits,
    maxAttempts: cfg.tushare.maxAttempts,
    timeoutMs: cfg.tushare.timeoutMs,
    pageCap: cfg.tushare.pageCap,
    log: options.log,
    ...(options.runtime !== undefined && { budget: sharedCallBudget(cfg, options.runtime) }),
  });
}

/** A recorded file served unfiltered on a column it lacks: one line on stderr, beside the logs. */
const warnOnStderr = (message: string) => process.stderr.write(`xasset sandbox: warning: ${message}\n`);

/**
 * What the sandbox serves: a folder of recorded output when configured, else the synthetic market.
 * `warn` hears about recorded files that lack a column a query filters on.
 */
export async function sandboxDataset(
  cfg: Config,
  warn: (message: string) => void = warnOnStderr,
): Promise<SandboxDataset> {
  if (cfg.sandbox.recordedDir) return openRecordedDataset(cfg.sandbox.recordedDir, { warn });
  return createSyntheticMarket({ seed: cfg.sandbox.seed, size: cfg.sandbox.size });
}

export async function startConfiguredSandbox(
  cfg: Config,
  overrides: { port?: number; dataset?: SandboxDataset } = {},
): Promise<Sandbox> {
  return startSandbox({
    host: cfg.sandbox.host,
    port: overrides.port ?? cfg.sandbox.port,
    dataset: overrides.dataset ?? (await sandboxDataset(cfg)),
    faults: cfg.sandbox.faultsFile ? await loadFaultPlan(cfg.sandbox.faultsFile) : undefined,
  });
}

/**
 * The range a run without dates fetches: from the day after the cursors of the selected endpoints
 * to today in China, with the flags and cursors folded from the control log it was read from.
 */
export async function incrementalRange(runtime: Runtime, endpoints: EndpointSelection) {
  const control = await foldControlLog({ log: runtime.log, codec: runtime.codec });
  const flags = effectiveOf(control.flags);
  const cursors = cursorValues(control.cursors);
  const range = dailyRange({ today: chinaDate(), endpoints, flags, cursors });
  return { flags, cursors, range };
}

/** The raw topics the processor consumes: every endpoint that has a normalizer. */
export const processedTopics = (): string[] => NORMALIZED_API_NAMES.map((api) => rawTopic(api));

export async function processRun(
  runtime: Runtime,
  options: {
    until: 'caught-up' | 'stopped';
    /** Only these raw topics (the reference data a job needs first); every processed topic by default. */
    topics?: readonly string[];
    signal?: AbortSignal;
    onProgress?: (stats: ProcessStats) => void;
    logger?: Parameters<typeof runProcessor>[0]['logger'];
  },
): Promise<ProcessStats> {
  return runProcessor({
    log: runtime.log,
    codec: runtime.codec,
    pool: runtime.pool,
    consumer: runtime.config.pipeline.processorName,
    topics: options.topics ?? processedTopics(),
    batchSize: runtime.config.pipeline.processBatchSize,
    concurrency: runtime.config.pipeline.processConcurrency,
    outagePatienceMs: runtime.config.pipeline.outagePatienceMs,
    until: options.until,
    signal: options.signal,
    onProgress: options.onProgress,
    logger: options.logger,
  });
}

/** Re-anchors the processor's stored positions, recorded in the control log (`process --reset-offsets`). */
export function resetProcessorOffsets(
  runtime: Runtime,
  specs: readonly ResetSpec[],
  reason: string,
): Promise<OffsetsReset[]> {
  return resetOffsets({
    log: runtime.log,
    codec: runtime.codec,
    pool: runtime.pool,
    consumer: runtime.config.pipeline.processorName,
    topics: processedTopics(),
    specs,
    reason,
    actor: 'cli',
    now: Date.now(),
  });
}

/** Folds the control log into the projection tables up to its current end. */
export async function projectRun(runtime: Runtime): Promise<CatchUpReport> {
  return new ProjectionRunner({ log: runtime.log, codec: runtime.codec, pool: runtime.pool }).catchUp();
}

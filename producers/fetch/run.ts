import { randomUUID } from 'node:crypto';
import { type ApiName, endpoint, rawTopic } from '../../contracts/catalog/index.js';
import {
  EncodeError,
  TushareBadResponseError,
  TushareError,
  TusharePermissionError,
  TushareRateLimitError,
  TushareTokenError,
  XassetError,
} from '../../contracts/errors.js';
import { CONTROL_TOPIC, type ControlPayload, type RunPool } from '../../contracts/events/control.js';
import type { RolloutFlags } from '../../contracts/flags.js';
import type { SchemaCodec } from '../../infra/codec/schema-codec.js';
import type { EventLog } from '../../infra/log/event-log.js';
import { isForward } from '../../projections/reducers/cursors.js';
import { quotaFreesAt } from '../tushare/budget.js';
import type { TushareParams, TushareRow, TushareSource } from '../tushare/source.js';
import { ControlWriter } from './control.js';
import { cursorValues, loadCursors } from './cursor-log.js';
import { type CursorHold, type CursorMove, CursorTracker } from './cursor-tracker.js';
import { startHeartbeat } from './heartbeat.js';
import {
  CALENDAR_API,
  calendarParams,
  closedBy,
  cursorName,
  type EndpointSelection,
  type FetchTask,
  openDatesOf,
  type PlanInput,
  planFetch,
  type SkippedEndpoint,
} from './planner.js';
import { estimateEta, type FetchProgress } from './progress.js';
import { pageRecords } from './raw-record.js';
import {
  addCounts,
  callsPerEndpoint,
  counterDelta,
  type EndpointCalls,
  type RunStats,
  runStats,
} from './stats.js';

export type RunStatus = ControlPayload<'RunFinished'>['status'];

/** The slice of a pino logger a run uses. */
export interface FetchLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Topic names; tests give each run its own so a shared broker cannot mix their cursors. */
export interface FetchTopics {
  control: string;
  raw(apiName: string): string;
}

export const DEFAULT_TOPICS: FetchTopics = { control: CONTROL_TOPIC, raw: rawTopic };

type PlanOptions = Pick<PlanInput, 'force' | 'today' | 'minuteFreq' | 'windowDays' | 'phase' | 'recheck'>;

export interface FetchRunOptions extends PlanOptions {
  /**
   * `--force-phase`: why this run sets the phase rule aside (the flags still apply). Recorded in
   * RunStarted; such a run never counts for a gate.
   */
  forcePhase?: string;
  /** The symbol pools resolved for this run (see pools.ts); recorded in its RunStarted. */
  pools?: readonly RunPool[];
  source: TushareSource;
  log: EventLog;
  codec: SchemaCodec;
  endpoints: EndpointSelection;
  /** RunStarted's batch; by default the selection when it is a batch, else null. */
  batch?: string | null;
  /** Inclusive YYYYMMDD range. */
  from: string;
  to: string;
  flags: RolloutFlags;
  /** `main` for the main chain, or the recovery module's name (its result is non-blocking). */
  chain: string;
  actor: string;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  runId?: string;
  /** Cursor values to plan from; folded from the control log when absent. */
  cursors?: Readonly<Record<string, string>>;
  onProgress?: (progress: FetchProgress) => void;
  logger?: FetchLogger;
  /** Interrupts the run between (or inside) calls; it then finishes as `abandoned`. */
  signal?: AbortSignal;
  topics?: FetchTopics;
}

export interface TaskFailure {
  apiName: ApiName;
  params: TushareParams;
  code: string;
  message: string;
}

/**
 * An hour or day quota used up: the endpoint is stopped for the rest of the run, and every later
 * call of it is refused without being made until the window frees.
 */
export interface QuotaStop {
  apiName: ApiName;
  window: 'hour' | 'day';
  limit: number | null;
  /** When the quota frees (ms since the epoch). */
  until: number;
}

export interface FetchRunResult {
  runId: string;
  status: RunStatus;
  stats: RunStats;
  error: string | null;
  /**
   * Planned tasks: done, failed, and not reached (the run stopped first, or a failure stopped their
   * endpoint). Endpoints that planned nothing are not tasks: they are in `skipped`.
   */
  tasks: { total: number; done: number; failed: number; notReached: number };
  /** Endpoints of the selection (the calendar aside) that planned work, and that planned none. */
  endpoints: { planned: number; skipped: number };
  /** CursorAdvanced events this run appended, in order (the calendar's included). */
  cursorsAdvanced: CursorMove[];
  /** Cursors that stopped short of the plan, and why. */
  holds: CursorHold[];
  failures: TaskFailure[];
  /** Endpoints the plan left out (switch off, no symbol pool, up to date…). */
  skipped: SkippedEndpoint[];
  /** Per endpoint: calls planned (the calendar's included) and requests made. */
  calls: Record<string, EndpointCalls>;
  /** Endpoints an hour or day quota stopped in this run, and until when. */
  quotaStops: QuotaStop[];
}

/** What a failure stops: the one task, its endpoint, or the whole run. */
type Scope = 'task' | 'endpoint' | 'run';

function scopeOf(err: unknown): Scope {
  if (err instanceof TushareTokenError) return 'run';
  if (err instanceof TusharePermissionError || err instanceof TushareBadResponseError) return 'endpoint';
  if (err instanceof EncodeError) return 'endpoint';
  // An hour or day quota used up: no call of the endpoint can succeed before it frees.
  if (err instanceof TushareRateLimitError && err.details.window !== 'minute') return 'endpoint';
  if (err instanceof TushareError) return 'task';
  return 'run';
}

const codeOf = (err: unknown): string => (err instanceof XassetError ? err.code : 'XASSET_UNEXPECTED');
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const MAX_ERROR_TEXT = 2_000;

class Interrupted extends Error {}

/**
 * One fetch run: RunStarted, the trade calendar, then the plan's tasks in order, each page's rows
 * appended as raw Avro events, each cursor advanced only after the log acknowledged the records it
 * covers, and RunFinished (plus ModuleResult for a recovery module) with the unified stats.
 *
 * Raw records are appended at least once: an interrupted task is fetched again by the next run,
 * and the processors dedupe on the natural key.
 */
export async function runFetch(options: FetchRunOptions): Promise<FetchRunResult> {
  const { source, log, codec, signal, logger } = options;
  const topics = options.topics ?? DEFAULT_TOPICS;
  const runId = options.runId ?? randomUUID();
  const started = Date.now();
  const before = source.counters();
  const control = new ControlWriter(log, codec, options.actor, topics.control);

  await control.append('RunStarted', {
    runId,
    chain: options.chain,
    batch:
      options.batch !== undefined
        ? options.batch
        : typeof options.endpoints === 'string'
          ? options.endpoints
          : null,
    fromDate: options.from,
    toDate: options.to,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    pools: options.pools === undefined ? null : [...options.pools],
    forcePhase: options.forcePhase ?? null,
  });

  let rowsEmitted = 0;
  let runErrors: Record<string, number> = {};
  const moves: CursorMove[] = [];
  const failures: TaskFailure[] = [];
  const quotaStops: QuotaStop[] = [];
  const counts = { total: 0, done: 0, failed: 0, notReached: 0 };
  let tasks: FetchTask[] = [];
  let skipped: SkippedEndpoint[] = [];
  let tracker: CursorTracker | undefined;
  let fatal: unknown;
  let interrupted = false;

  const heartbeat = startHeartbeat({
    control,
    runId,
    everyMs: options.heartbeatMs,
    rowsSoFar: () => rowsEmitted,
    onError: (err) => logger?.warn({ runId, err: messageOf(err) }, 'heartbeat not appended'),
  });

  const report = () => {
    if (!options.onProgress) return;
    const finished = counts.done + counts.failed + counts.notReached;
    options.onProgress({
      tasksDone: finished,
      tasksTotal: counts.total,
      rows: rowsEmitted,
      calls: source.counters().requests - before.requests,
      etaMs: estimateEta(finished, counts.total, Date.now() - started),
    });
  };

  const checkSignal = () => {
    if (signal?.aborted) throw new Interrupted();
  };

  /** Fetches one query and appends its pages; returns the rows emitted. */
  const emit = async (
    apiName: ApiName,
    params: TushareParams,
    keep: (row: TushareRow) => boolean = () => true,
  ): Promise<{ rows: TushareRow[]; emitted: number }> => {
    const spec = endpoint(apiName);
    const topic = topics.raw(apiName);
    const fetched: TushareRow[] = [];
    let emitted = 0;
    let inSource = true;
    try {
      for await (const page of source.pages(apiName, params, signal ? { signal } : {})) {
        inSource = false;
        fetched.push(...page.rows);
        const records = await pageRecords(
          spec,
          page,
          { runId, fetchedAt: Date.now() },
          (value) => codec.encode(topic, value),
          keep,
        );
        await log.append(topic, records);
        emitted += records.length;
        rowsEmitted += records.length;
        report();
        checkSignal();
        inSource = true;
      }
    } catch (err) {
      if (signal?.aborted) throw new Interrupted();
      // The source counts its own failures (every attempt); ours are counted here.
      if (!inSource || !(err instanceof TushareError)) runErrors = addCounts(runErrors, { [codeOf(err)]: 1 });
      throw err;
    }
    return { rows: fetched, emitted };
  };

  const advance = async (move: CursorMove) => {
    await control.append('CursorAdvanced', { ...move, runId });
    moves.push(move);
  };

  try {
    const cursors = options.cursors ?? cursorValues(await loadCursors(log, codec, topics.control));

    // The calendar first: the plan needs its open days. Days the calendar cursor already covers
    // are not emitted again.
    const calendarSpec = endpoint(CALENDAR_API);
    const calendarCursor = cursorName(calendarSpec);
    const covered = options.force ? undefined : cursors[calendarCursor];
    const emitCalendar =
      closedBy(calendarSpec, { ...options, forcePhase: options.forcePhase !== undefined }) === null;
    const calendar = await emit(
      CALENDAR_API,
      calendarParams(options.from, options.to),
      (row) => emitCalendar && typeof row.cal_date === 'string' && isForward(covered, row.cal_date),
    );
    if (emitCalendar && isForward(cursors[calendarCursor], options.to)) {
      await advance({ cursor: calendarCursor, value: options.to, previous: cursors[calendarCursor] ?? null });
    }

    const plan = planFetch({
      endpoints: options.endpoints,
      from: options.from,
      to: options.to,
      openDates: openDatesOf(calendar.rows),
      flags: options.flags,
      cursors,
      ...pick(options),
    });
    tasks = plan.tasks;
    skipped = plan.skipped;
    counts.total = tasks.length;
    tracker = new CursorTracker(tasks, cursors);
    logger?.info({ runId, tasks: tasks.length, skipped }, 'fetch plan');
    report();

    const stopped = new Set<ApiName>();
    for (const [index, task] of tasks.entries()) {
      checkSignal();
      if (stopped.has(task.apiName)) {
        counts.notReached += 1;
        report();
        continue;
      }
      let emitted: number;
      try {
        ({ emitted } = await emit(task.apiName, task.params));
      } catch (err) {
        if (err instanceof Interrupted) throw err;
        tracker.fail(index);
        counts.failed += 1;
        failures.push({
          apiName: task.apiName,
          params: task.params,
          code: codeOf(err),
          message: messageOf(err),
        });
        const scope = scopeOf(err);
        logger?.warn(
          { runId, apiName: task.apiName, params: task.params, code: codeOf(err), scope },
          'task failed',
        );
        if (scope === 'run') {
          fatal = err;
          break;
        }
        if (scope === 'endpoint') stopped.add(task.apiName);
        const quota = quotaStopOf(task.apiName, err);
        if (quota !== undefined) quotaStops.push(quota);
        report();
        continue;
      }
      counts.done += 1;
      // Outside the task's error handling: a log that cannot take the cursor stops the run.
      for (const move of tracker.complete(index, emitted)) await advance(move);
      report();
    }
  } catch (err) {
    if (err instanceof Interrupted) interrupted = true;
    else {
      fatal = err;
      logger?.warn({ runId, code: codeOf(err), err: messageOf(err) }, 'fetch run cannot go on');
    }
  } finally {
    await heartbeat.stop();
  }

  // Tasks never reached (run failure, interruption, their endpoint stopped).
  counts.notReached = counts.total - counts.done - counts.failed;
  const status = statusOf({ interrupted, fatal, tasks, failures, counts });
  const error = errorText({ interrupted, fatal, failures });
  const spent = counterDelta(before, source.counters());
  const stats = runStats({
    source: spent,
    rowsEmitted,
    runErrors,
    durationMs: Date.now() - started,
  });

  if (options.chain !== 'main') {
    await control.append('ModuleResult', {
      runId,
      module: options.chain,
      status,
      blocking: false,
      stats,
      error,
    });
  }
  await control.append('RunFinished', { runId, status, stats, error });
  report();
  logger?.info({ runId, status, stats }, 'fetch run finished');

  return {
    runId,
    status,
    stats,
    error,
    tasks: counts,
    endpoints: { planned: new Set(tasks.map((t) => t.apiName)).size, skipped: skipped.length },
    cursorsAdvanced: moves,
    holds: tracker?.holds() ?? [],
    failures,
    skipped,
    calls: callsPerEndpoint([{ apiName: CALENDAR_API }, ...tasks], spent.requestsByApi ?? {}),
    quotaStops,
  };
}

/** The quota stop a failure means, if it is an hour or day quota used up. */
export function quotaStopOf(apiName: ApiName, err: unknown, now = Date.now()): QuotaStop | undefined {
  if (!(err instanceof TushareRateLimitError)) return undefined;
  const { window, limit, blockedUntil } = err.details as {
    window?: unknown;
    limit?: unknown;
    blockedUntil?: unknown;
  };
  if (window !== 'hour' && window !== 'day') return undefined;
  const until = typeof blockedUntil === 'number' ? blockedUntil : quotaFreesAt(window, now);
  if (until === null) return undefined;
  return { apiName, window, limit: typeof limit === 'number' ? limit : null, until };
}

function pick(
  options: FetchRunOptions,
): Omit<PlanInput, 'endpoints' | 'from' | 'to' | 'openDates' | 'flags' | 'cursors'> {
  const out: ReturnType<typeof pick> = {};
  if (options.force !== undefined) out.force = options.force;
  if (options.pools !== undefined) {
    out.pools = Object.fromEntries(options.pools.map((p) => [p.apiName, p.codes]));
    out.backfill = Object.fromEntries(options.pools.map((p) => [p.apiName, p.backfill]));
  }
  if (options.phase !== undefined) out.phase = options.phase;
  if (options.forcePhase !== undefined) out.forcePhase = true;
  if (options.today !== undefined) out.today = options.today;
  if (options.minuteFreq !== undefined) out.minuteFreq = options.minuteFreq;
  if (options.windowDays !== undefined) out.windowDays = options.windowDays;
  if (options.recheck !== undefined) out.recheck = options.recheck;
  return out;
}

/**
 * ok: nothing failed; partial: some endpoints failed while others completed; failed: nothing
 * completed, or the run itself could not go on (token refused, log unavailable, no calendar);
 * abandoned: interrupted before the plan was done.
 */
export function statusOf(input: {
  interrupted: boolean;
  fatal: unknown;
  tasks: readonly FetchTask[];
  failures: readonly TaskFailure[];
  counts: { done: number; failed: number; notReached: number };
}): RunStatus {
  if (input.interrupted) return 'abandoned';
  if (input.fatal !== undefined) return 'failed';
  if (input.failures.length === 0 && input.counts.notReached === 0) return 'ok';
  const failed = new Set(input.failures.map((f) => f.apiName));
  const planned = new Set(input.tasks.map((t) => t.apiName));
  const succeeded = [...planned].filter((api) => !failed.has(api));
  return succeeded.length > 0 ? 'partial' : 'failed';
}

function errorText(input: {
  interrupted: boolean;
  fatal: unknown;
  failures: readonly TaskFailure[];
}): string | null {
  if (input.interrupted) return 'interrupted before the plan was done';
  let text: string | undefined;
  if (input.fatal !== undefined) text = `${codeOf(input.fatal)}: ${messageOf(input.fatal)}`;
  else if (input.failures.length > 0) {
    const first = new Map<string, TaskFailure>();
    for (const failure of input.failures)
      if (!first.has(failure.apiName)) first.set(failure.apiName, failure);
    text = [...first.values()].map((f) => `${f.apiName}: ${f.code}: ${f.message}`).join('; ');
  }
  if (text === undefined) return null;
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT - 1)}…` : text;
}

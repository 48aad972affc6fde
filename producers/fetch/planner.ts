import {
  type ApiName,
  type Batch,
  ENDPOINTS,
  type EndpointSpec,
  endpoint,
  endpointsForBatch,
} from '../../contracts/catalog/index.js';
import {
  addDays,
  addMonths,
  addQuarters,
  isYmd,
  maxYmd,
  minYmd,
  monthOf,
  quarterOf,
} from '../../contracts/dates.js';
import { ValidationError } from '../../contracts/errors.js';
import { effectiveFlags, type RolloutFlags } from '../../contracts/flags.js';
import {
  barsPerDay,
  EQUITY_SESSIONS,
  freqMinutes,
  futuresExchangeOf,
  MINUTE_FREQ,
  maxFuturesBarsPerDay,
  minuteWindow,
  sessionsOf,
} from '../../contracts/sessions.js';
import { type PhaseRecord, switchStates } from '../../projections/policy/switches.js';
import { isForward } from '../../projections/reducers/cursors.js';
import type { TushareParams, TushareRow } from '../tushare/source.js';

/** The checkpoint a task moves once it, and every earlier task of the same cursor, is done. */
export interface TaskCursor {
  name: string;
  /** A YYYYMMDD day: the last day this task's data covers. */
  value: string;
  /**
   * The first day it covers, where windows of one cursor differ in length (minute windows sized per
   * futures exchange): the cursor passes none of its days before the task is done, whatever the
   * values of the tasks before it.
   */
  from?: string;
}

export interface FetchTask {
  apiName: ApiName;
  params: TushareParams;
  cursor?: TaskCursor;
}

/** A batch (`p0`, …) or explicit api names. */
export type EndpointSelection = Batch | readonly string[];

export interface PlanInput {
  endpoints: EndpointSelection;
  /** Inclusive YYYYMMDD range. */
  from: string;
  to: string;
  /** Open trade dates (SSE calendar); dates outside [from, to] are ignored. */
  openDates: readonly string[];
  /** Stored flags; the planner applies the p2 master switch itself. */
  flags: RolloutFlags;
  /** Current cursor values by cursor name. */
  cursors: Readonly<Record<string, string>>;
  /** Re-fetch work at or before the cursors. */
  force?: boolean;
  /** Symbol pools of the per-instrument endpoints (fx whitelist, index shard, minute universe). */
  pools?: Readonly<Partial<Record<ApiName, readonly string[]>>>;
  /** Codes of a pool whose history is not in yet (a new shard): fetched from `from`, whatever the cursor. */
  backfill?: Readonly<Partial<Record<ApiName, readonly string[]>>>;
  /**
   * The phase record: an endpoint whose switch its phase has not opened (or a freeze shut) is
   * skipped with reason `phase` (projections/policy/switches.ts). Absent: the flags alone decide,
   * as for a library caller that has no phase record.
   */
  phase?: PhaseRecord;
  /** `--force-phase`: the phase rule set aside for this run; the flags still apply. */
  forcePhase?: boolean;
  /** Realtime endpoints only have today's data: they are planned when today is an open date in range. */
  today?: string;
  /** Historical minute frequency (lower case, as Tushare takes it); `1min` by default. */
  minuteFreq?: string;
  /** Open trade dates per window for per-instrument daily endpoints; the whole range by default. */
  windowDays?: number;
  /**
   * Days at or before a trade-date endpoint's cursor to fetch again (the re-check window and the
   * partial days, see recheck.ts). Their tasks move no cursor: the cursor already passed them.
   */
  recheck?: Readonly<Partial<Record<ApiName, readonly string[]>>>;
}

export type SkipReason = 'switch_off' | 'phase' | 'no_pool' | 'not_today' | 'up_to_date';

export interface SkippedEndpoint {
  apiName: ApiName;
  reason: SkipReason;
  /** The reason in words, with the switch, cursor or day it turned on. */
  detail: string;
}

export interface FetchPlan {
  tasks: FetchTask[];
  skipped: SkippedEndpoint[];
}

/** The calendar every run fetches first; its open days drive the per-day plan. */
export const CALENDAR_API = 'trade_cal' satisfies ApiName;
/** Stocks, funds and SGE follow the Shanghai calendar; futures exchanges close on the same holidays. */
export const CALENDAR_EXCHANGE = 'SSE';

export function calendarParams(from: string, to: string): TushareParams {
  return { exchange: CALENDAR_EXCHANGE, start_date: from, end_date: to };
}

/** Open days of a trade_cal answer, sorted and unique; `is_open` may arrive as a string or a number. */
export function openDatesOf(rows: readonly TushareRow[]): string[] {
  const open = new Set<string>();
  for (const row of rows) {
    if (String(row.is_open) !== '1' || typeof row.cal_date !== 'string') continue;
    if (row.exchange != null && row.exchange !== CALENDAR_EXCHANGE) continue;
    open.add(row.cal_date);
  }
  return [...open].sort();
}

export function cursorName(spec: EndpointSpec): string {
  return spec.cursor ?? `fetch.${spec.apiName}`;
}

/** Publications lag: daily macro series are re-read this many days back on every run. */
export const DATE_RANGE_LOOKBACK_DAYS = 10;
/** Monthly and quarterly series appear weeks after their period and get revised: re-read this far back. */
export const PERIOD_LOOKBACK = { months: 6, quarters: 2 } as const;

const FUTURES_EXCHANGES = ['CFFEX', 'DCE', 'CZCE', 'SHFE', 'INE', 'GFEX'] as const;
const INDEX_MARKETS = ['MSCI', 'CSI', 'SSE', 'SZSE', 'CICC', 'SW', 'OTH'] as const;

/**
 * Extra params that split one logical fetch into several calls, where one call cannot return the
 * whole answer: Tushare's defaults would silently leave rows out (stock_basic returns only listed
 * stocks without `list_status`, fut_basic needs an exchange, fund_basic defaults to OTC funds).
 * Each task is the cross product of its base params and these slices.
 */
export const SLICES: Readonly<Partial<Record<ApiName, readonly TushareParams[]>>> = {
  stock_basic: ['L', 'D', 'P'].map((list_status) => ({ list_status })),
  fund_basic: [{ market: 'E' }],
  fut_basic: FUTURES_EXCHANGES.map((exchange) => ({ exchange })),
  fut_daily: FUTURES_EXCHANGES.map((exchange) => ({ exchange })),
  index_basic: INDEX_MARKETS.map((market) => ({ market })),
  fx_obasic: [{ exchange: 'FXCM' }],
  // Realtime snapshots take wildcards; Shanghai ETFs need their own topic.
  rt_idx_k: [{ ts_code: '0*.SH' }, { ts_code: '399*.SZ' }],
  rt_etf_k: [{ ts_code: '5*.SH', topic: 'HQ_FND_TICK' }, { ts_code: '1*.SZ' }],
};

/**
 * Most bars one instrument has in a trading day at a frequency (contracts/sessions.ts): stocks and
 * indexes 241 one-minute bars; a futures contract its exchange's day with the night session (found
 * by the code's suffix), or the longest exchange day for a code of no known exchange or none given.
 */
export function barsPerInstrumentDay(spec: EndpointSpec, freq: string, tsCode?: string): number {
  const minutes = freqMinutes(freq) ?? 1;
  if (spec.assetClass !== 'futures')
    return barsPerDay(sessionsOf(spec.assetClass) ?? EQUITY_SESSIONS, minutes);
  const exchange = tsCode === undefined ? undefined : futuresExchangeOf(tsCode);
  const sessions = exchange === undefined ? undefined : sessionsOf('futures', exchange);
  return sessions === undefined ? maxFuturesBarsPerDay(minutes) : barsPerDay(sessions, minutes);
}

/**
 * Open days in one minute-history window of a code: as many whole days as fit one page, so a
 * window is one call. A futures contract is sized by its own exchange: a DCE contract (345 one-minute
 * bars with its night session) fits 23 days where a SHFE one (465) fits 17.
 */
export function minuteWindowDays(spec: EndpointSpec, freq: string, tsCode: string): number {
  return Math.max(1, Math.floor(spec.rowLimit / barsPerInstrumentDay(spec, freq, tsCode)));
}

const BATCHES: readonly string[] = ['p0', 'p1', 'p2', 'module'];

export function selectEndpoints(selection: EndpointSelection): EndpointSpec[] {
  if (typeof selection === 'string') {
    if (!BATCHES.includes(selection)) {
      throw new ValidationError('endpoint selection', [
        { path: 'endpoints', message: `unknown batch ${selection}` },
      ]);
    }
    return [...endpointsForBatch(selection as Batch)];
  }
  const names = [...new Set(selection)];
  const specs = names.map((name) => endpoint(name));
  const order = new Map<string, number>(ENDPOINTS.map((spec, index) => [spec.apiName, index]));
  return specs.sort((a, b) => (order.get(a.apiName) ?? 0) - (order.get(b.apiName) ?? 0));
}

/** Whether an endpoint's switch is on by the flags alone (a p2 sub-switch is inert while p2Enabled is false). */
export function isSwitchedOn(spec: EndpointSpec, flags: RolloutFlags): boolean {
  return effectiveFlags(flags)[spec.switch];
}

/**
 * Why an endpoint may not run: `switch_off` (its flags), `phase` (the phase record), or null when
 * it may. With a phase record this is the one effective-switch rule (projections/policy/switches.ts).
 */
export function closedBy(
  spec: EndpointSpec,
  input: Pick<PlanInput, 'flags' | 'phase' | 'forcePhase'>,
): 'switch_off' | 'phase' | null {
  return closedWhy(spec, input)?.reason ?? null;
}

/** closedBy with its reason in words: the switch that is off, or what the phase still shuts. */
export function closedWhy(
  spec: EndpointSpec,
  input: Pick<PlanInput, 'flags' | 'phase' | 'forcePhase'>,
): { reason: 'switch_off' | 'phase'; detail: string } | null {
  if (input.phase === undefined) {
    if (isSwitchedOn(spec, input.flags)) return null;
    const detail = input.flags[spec.switch]
      ? `${spec.switch} has no effect while p2Enabled is false`
      : `${spec.switch} is false`;
    return { reason: 'switch_off', detail };
  }
  const state = switchStates(input.flags, input.phase, { forcePhase: input.forcePhase === true })[
    spec.switch
  ];
  if (state.effective) return null;
  return {
    reason: state.reason === 'phase' ? 'phase' : 'switch_off',
    detail: state.detail ?? `${spec.switch} is not in force`,
  };
}

interface Ranked {
  task: FetchTask;
  rank: number;
  order: number;
}

/**
 * What to fetch, in order: reference snapshots first (so instruments exist before their bars),
 * then dated work day by day across endpoints (a day completes across the batch before the next
 * starts), then realtime snapshots. trade_cal is not planned: the run fetches it before planning.
 */
export function planFetch(input: PlanInput): FetchPlan {
  if (!isYmd(input.from) || !isYmd(input.to) || input.from > input.to) {
    throw new ValidationError('fetch range', [
      { path: 'from/to', message: `need YYYYMMDD from <= to, got ${input.from}..${input.to}` },
    ]);
  }
  const openDates = [...new Set(input.openDates)].filter((d) => d >= input.from && d <= input.to).sort();
  const ranked: Ranked[] = [];
  const skipped: SkippedEndpoint[] = [];
  const order = new Map<string, number>(ENDPOINTS.map((spec, index) => [spec.apiName, index]));

  for (const spec of selectEndpoints(input.endpoints)) {
    if (spec.apiName === CALENDAR_API) continue;
    const apiName = spec.apiName as ApiName;
    const closed = closedWhy(spec, input);
    if (closed !== null) {
      skipped.push({ apiName, ...closed });
      continue;
    }
    const planned = planEndpoint(spec, input, openDates);
    if ('skip' in planned) {
      skipped.push({ apiName, reason: planned.skip, detail: planned.detail });
      continue;
    }
    const catalogIndex = order.get(spec.apiName) ?? 0;
    for (const task of planned.tasks) ranked.push({ task, rank: rankOf(spec), order: catalogIndex });
  }

  // Stable sort: slices and codes of one endpoint and day keep their planned order.
  ranked.sort((a, b) => a.rank - b.rank || compare(dayOf(a.task), dayOf(b.task)) || a.order - b.order);
  return { tasks: ranked.map((r) => r.task), skipped };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The day a task's data covers: its cursor value, or the trade date a re-check asks for again. */
const dayOf = (task: FetchTask): string =>
  task.cursor?.value ?? (typeof task.params.trade_date === 'string' ? task.params.trade_date : '');

function isRealtime(spec: EndpointSpec): boolean {
  return spec.role === 'realtime';
}

function rankOf(spec: EndpointSpec): number {
  if (isRealtime(spec)) return 2;
  return spec.fetchMode === 'snapshot' ? 0 : 1;
}

type Planned = { tasks: FetchTask[] } | { skip: SkipReason; detail: string };

const noPool = (apiName: string): Planned => ({
  skip: 'no_pool',
  detail: `no instruments to fetch: the ${apiName} pool is empty (no stored reference data matches it yet)`,
});

function planEndpoint(spec: EndpointSpec, input: PlanInput, openDates: readonly string[]): Planned {
  if (isRealtime(spec)) return planRealtime(spec, input, openDates);
  const name = cursorName(spec);
  const current = input.force ? undefined : input.cursors[name];
  const apiName = spec.apiName as ApiName;
  const slices = SLICES[apiName] ?? [{}];
  const tasks: FetchTask[] = [];
  const push = (params: TushareParams, value: string) => {
    for (const slice of slices)
      tasks.push({ apiName, params: { ...slice, ...params }, cursor: { name, value } });
  };

  switch (spec.fetchMode) {
    case 'snapshot': {
      // A snapshot is the state as of `to`: taken once per day it is asked for.
      if (isForward(current, input.to)) push({}, input.to);
      break;
    }
    case 'trade_date': {
      const again = new Set(input.recheck?.[apiName] ?? []);
      for (const day of openDates) {
        if (isForward(current, day)) push({ trade_date: day }, day);
        else if (again.has(day))
          for (const slice of slices) tasks.push({ apiName, params: { ...slice, trade_date: day } });
      }
      break;
    }
    case 'ts_code': {
      const pool = input.pools?.[apiName] ?? [];
      if (pool.length === 0) return noPool(apiName);
      const resume = current === undefined ? input.from : maxYmd(input.from, addDays(current, 1));
      const backfill = new Set(input.backfill?.[apiName] ?? []);
      const minute = spec.role === 'minute';
      const freq = input.minuteFreq ?? MINUTE_FREQ;
      const sizeOf = (code: string) =>
        minute ? minuteWindowDays(spec, freq, code) : Math.max(1, input.windowDays ?? spec.rowLimit);
      // A new shard's history starts at the range's first day; the codes already in resume after the cursor.
      const groups = [
        { start: input.from, codes: pool.filter((code) => backfill.has(code)) },
        { start: resume, codes: pool.filter((code) => !backfill.has(code)) },
      ];
      for (const { start, codes } of groups) {
        for (const [size, sized] of groupBy(codes, sizeOf)) {
          for (const window of windows(start, openDates, size)) {
            for (const code of sized) {
              const params: TushareParams = minute
                ? { ts_code: code, freq, ...minuteWindow(window.start, window.end) }
                : { ts_code: code, start_date: window.start, end_date: window.end };
              const cursor: TaskCursor = minute
                ? { name, value: window.end, from: window.start }
                : { name, value: window.end };
              tasks.push({ apiName, params, cursor });
            }
          }
        }
      }
      break;
    }
    case 'date_range': {
      const resume = current === undefined ? input.from : addDays(current, 1 - DATE_RANGE_LOOKBACK_DAYS);
      let start = maxYmd(input.from, resume);
      while (start <= input.to) {
        const end = minYmd(input.to, addDays(start, spec.rowLimit - 1));
        push({ start_date: start, end_date: end }, end);
        start = addDays(end, 1);
      }
      break;
    }
    case 'period': {
      const resume =
        current === undefined ? input.from : minYmd(input.to, maxYmd(input.from, addDays(current, 1)));
      const quarterly = spec.params.some((p) => p.name === 'start_q');
      const params: TushareParams = quarterly
        ? { start_q: addQuarters(quarterOf(resume), -PERIOD_LOOKBACK.quarters), end_q: quarterOf(input.to) }
        : { start_m: addMonths(monthOf(resume), -PERIOD_LOOKBACK.months), end_m: monthOf(input.to) };
      push(params, input.to);
      break;
    }
  }
  if (tasks.length > 0) return { tasks };
  const through = current === undefined ? '' : ` (${name} is at ${current})`;
  const what =
    spec.fetchMode === 'trade_date' && openDates.length === 0
      ? `no open trade date in ${input.from} … ${input.to}`
      : `its cursor already covers ${input.to}${through}`;
  return { skip: 'up_to_date', detail: what };
}

/** Items by key, keys in the order first seen, items in their order. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}

/** Today's data only, re-read on every call of the day: no cursor. */
function planRealtime(spec: EndpointSpec, input: PlanInput, openDates: readonly string[]): Planned {
  const apiName = spec.apiName as ApiName;
  if (input.today === undefined || !openDates.includes(input.today)) {
    const detail =
      input.today === undefined
        ? "realtime data is today's only, and the run was given no today"
        : `realtime data is today's only, and today (${input.today}) is not an open day in ${input.from} … ${input.to}`;
    return { skip: 'not_today', detail };
  }
  if (spec.fetchMode === 'snapshot') {
    return { tasks: (SLICES[apiName] ?? [{}]).map((slice) => ({ apiName, params: { ...slice } })) };
  }
  const pool = input.pools?.[apiName] ?? [];
  if (pool.length === 0) return noPool(apiName);
  const freq = (input.minuteFreq ?? MINUTE_FREQ).toUpperCase();
  const perCall = Math.max(1, Math.floor(spec.rowLimit / barsPerInstrumentDay(spec, freq)));
  const tasks: FetchTask[] = [];
  for (let i = 0; i < pool.length; i += perCall) {
    tasks.push({ apiName, params: { freq, ts_code: pool.slice(i, i + perCall).join(',') } });
  }
  return { tasks };
}

/**
 * Calendar-contiguous windows from `start`, each ending on an open day after at most `size` open
 * days: the next window starts the day after, so days between windows (FX trades on CN holidays)
 * are never left out.
 */
export function windows(
  start: string,
  openDates: readonly string[],
  size: number,
): { start: string; end: string }[] {
  const open = openDates.filter((d) => d >= start);
  const out: { start: string; end: string }[] = [];
  let from = start;
  for (let i = 0; i < open.length; i += size) {
    const end = open[Math.min(i + size, open.length) - 1] as string;
    out.push({ start: from, end });
    from = addDays(end, 1);
  }
  return out;
}

/**
 * The range of a daily incremental run: from the day after the earliest cursor of the selected
 * dated endpoints (or `initialFrom` for one never fetched) to today. It is the same path as a
 * backfill; the planner then skips what each endpoint's own cursor already covers.
 */
export function dailyRange(input: {
  today: string;
  endpoints: EndpointSelection;
  flags: RolloutFlags;
  cursors: Readonly<Record<string, string>>;
  initialFrom?: string;
  phase?: PhaseRecord;
  forcePhase?: boolean;
}): { from: string; to: string } {
  const effective = (spec: EndpointSpec) => closedBy(spec, input) === null;
  let from = input.today;
  for (const spec of selectEndpoints(input.endpoints)) {
    if (spec.apiName === CALENDAR_API || isRealtime(spec) || !effective(spec)) continue;
    const current = input.cursors[cursorName(spec)];
    const start = current === undefined ? (input.initialFrom ?? input.today) : addDays(current, 1);
    from = minYmd(from, start);
  }
  return { from, to: input.today };
}

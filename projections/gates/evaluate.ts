import { chinaDate, isYmd } from '../../contracts/dates.js';
import { ValidationError } from '../../contracts/errors.js';
import type { ControlPayload } from '../../contracts/events/control.js';
import { indexOnOrBefore, sessionOnOrBefore, sortedDates } from './calendar.js';
import { type GateScope, gateScope } from './scope.js';
import type {
  Clock,
  CoveragePoint,
  DayDetail,
  GateBaseline,
  GateInput,
  GateVerdict,
  RunView,
} from './types.js';

/**
 * The gate of DESIGN §6 and the roadmap's "recovery gate per wave": N consecutive trading days with
 * no blocking failed run, coverage at or above the threshold, main-chain coverage not under its
 * baseline, and no run left `running`.
 *
 * Days are counted on two clocks:
 * - natural: a run belongs to the trading session on or before the Beijing date it started, so
 *   three runs on one real day are one day (and a Saturday run counts for Friday's session);
 * - as-of: a run belongs to the trade date it proves (`toDate`), so replays of three past trade
 *   dates on one real day are three days.
 * The roadmap accepts an as-of replay to prove a gate without waiting real days ("历史交易日回放
 * 加速门禁"). It may stand in for days that have not happened yet, never for a failure: the as-of
 * count proves the gate only when the natural count stops at days without runs, not at a failed one.
 */
export function evaluateGate(input: GateInput): GateVerdict {
  const required = input.thresholds.requiredDays;
  if (!Number.isInteger(required) || required < 1) {
    throw new ValidationError('gate thresholds', [{ path: 'requiredDays', message: 'a positive integer' }]);
  }
  if (input.asOf !== undefined && !isYmd(input.asOf)) {
    throw new ValidationError('gate input', [{ path: 'asOf', message: 'a YYYYMMDD date' }]);
  }
  const scope = gateScope(input.gate);
  const open = sortedDates(input.openDates);
  const counted = input.runs.filter((run) => scope.includes(run) && afterBaseline(run, input.baseline));
  const residue = counted.filter((run) => isResidue(run, input.now)).length;
  const check = dayChecker(scope, input);

  const naturalDay = (run: RunView) => sessionOnOrBefore(open, chinaDate(run.startedAt));
  const asOfDay = (run: RunView) => {
    const proves = run.toDate ?? run.fromDate;
    return proves === null ? naturalDay(run) : sessionOnOrBefore(open, proves);
  };
  const byNatural = groupBy(counted, naturalDay);
  const byAsOf = groupBy(counted, asOfDay);

  const natural = walk(open, indexOnOrBefore(open, chinaDate(input.now)), true, required, (d) =>
    check(d, byNatural.get(d) ?? []),
  );
  const latestAsOf = input.asOf ?? [...byAsOf.keys()].sort().at(-1);
  const asOf =
    latestAsOf === undefined
      ? { clean: 0, days: [], broken: ['no_as_of_runs'] }
      : walk(open, indexOnOrBefore(open, latestAsOf), input.asOf === undefined, required, (d) =>
          check(d, byAsOf.get(d) ?? []),
        );

  const naturalOk = natural.clean >= required;
  const onlyWaiting = natural.broken.every(
    (code) => code.startsWith('no_runs:') || code === 'calendar_exhausted',
  );
  const asOfEligible = (input.allowAsOfProof ?? true) && onlyWaiting;
  const asOfOk = asOfEligible && asOf.clean >= required;
  const passed = residue === 0 && (naturalOk || asOfOk);
  const provenBy: Clock | null = passed ? (naturalOk ? 'natural' : 'as_of') : null;

  const failures: string[] = [];
  if (!passed) {
    if (residue > 0) failures.push(`running_residue:${residue}`);
    if (!naturalOk) failures.push(...natural.broken);
    if (!naturalOk && (input.allowAsOfProof ?? true) && !asOfOk) failures.push(...asOf.broken);
    if (!naturalOk && !asOfOk) failures.push('clean_days_below_required');
  }

  return {
    gate: input.gate,
    passed,
    provenBy,
    failures: [...new Set(failures)],
    cleanDays: naturalOk || !asOfEligible ? natural.clean : asOf.clean,
    requiredDays: required,
    cleanDayProgress: `${natural.clean}/${required}`,
    cleanAsOfTradeDateProgress: `${asOf.clean}/${required}`,
    asOfTradeDate: asOf.days.find((d) => !d.pending)?.tradeDate ?? latestAsOf ?? null,
    residue,
    days: { natural: natural.days, asOf: asOf.days },
  };
}

export function afterBaseline(run: RunView, baseline: GateBaseline | undefined): boolean {
  // A run forced past the phase rules is an operator's backfill: it counts neither for nor against.
  if (run.forcePhase) return false;
  if (baseline?.offset !== undefined && run.controlOffset < baseline.offset) return false;
  if (baseline?.startedAt !== undefined && run.startedAt < baseline.startedAt) return false;
  return true;
}

/** A run still `running` whose heartbeat stopped longer ago than its timeout: the reaper's job. */
export function isResidue(run: RunView, now: number): boolean {
  return run.status === 'running' && now - run.lastHeartbeat > run.heartbeatTimeoutMs;
}

/** Stale `running` runs after the baseline, whatever their chain. */
export function countRunningResidue(runs: readonly RunView[], now: number, baseline?: GateBaseline): number {
  return runs.filter((run) => afterBaseline(run, baseline) && isResidue(run, now)).length;
}

/** The control event that records a verdict. */
export function toGateEvaluated(verdict: GateVerdict): ControlPayload<'GateEvaluated'> {
  return {
    gate: verdict.gate,
    passed: verdict.passed,
    asOfTradeDate: verdict.asOfTradeDate,
    cleanDays: verdict.cleanDays,
    requiredDays: verdict.requiredDays,
    failures: verdict.failures,
  };
}

const ratio = (value: number) => String(Math.round(value * 10_000) / 10_000);

function dayChecker(scope: GateScope, input: GateInput) {
  const coverage = new Map<string, CoveragePoint>();
  for (const point of input.coverage) coverage.set(`${point.tradeDate}|${point.module}`, point);
  const min = input.thresholds.minCoverage;
  const tolerance = input.thresholds.baselineTolerance ?? 0;

  return (date: string, runs: readonly RunView[]): DayDetail => {
    const blocking = runs.flatMap((run) => scope.blocking(run, date));
    const proven = runs.some((run) => scope.proves(run));
    const failures = [...blocking];
    if (runs.some((run) => run.status === 'running')) failures.push(`run_unfinished:${date}`);
    if (!proven && blocking.length === 0) failures.push(`no_runs:${date}`);
    for (const module of scope.coverageModules) {
      const point = coverage.get(`${date}|${module}`);
      if (point === undefined) failures.push(`coverage_unknown:${date}:${module}`);
      else if (point.coverage === null) failures.push(`coverage_not_applicable:${date}:${module}`);
      else if (point.coverage < min)
        failures.push(`coverage_below:${date}:${module}:${ratio(point.coverage)}<${ratio(min)}`);
      // A threshold under 1 lets a day that still owes rows pass on its ratio; it is not clean yet.
      if (point?.publication === 'partial') failures.push(`publication_partial:${date}:${module}`);
    }
    for (const [module, base] of Object.entries(input.mainBaseline ?? {})) {
      const value = coverage.get(`${date}|${module}`)?.coverage;
      if (typeof value === 'number' && value < base - tolerance) {
        failures.push(`main_coverage_below_baseline:${date}:${module}:${ratio(value)}<${ratio(base)}`);
      }
    }
    return {
      tradeDate: date,
      runs: runs.length,
      clean: failures.length === 0,
      // Nothing shown and nothing failed yet: the day's work is still to come.
      pending: !proven && blocking.length === 0,
      failures: [...new Set(failures)],
    };
  };
}

interface Walk {
  clean: number;
  days: DayDetail[];
  /** Why the count stopped short: the failures of the day that broke it. */
  broken: string[];
}

/**
 * Counts clean sessions backwards from `start`. The most recent session may still be pending
 * (today before its run, or a replay not yet finished); it is skipped rather than breaking the count.
 */
function walk(
  open: readonly string[],
  start: number,
  allowPendingStart: boolean,
  required: number,
  check: (date: string) => DayDetail,
): Walk {
  const days: DayDetail[] = [];
  let clean = 0;
  for (let i = start; i >= 0 && clean < required; i--) {
    const checked = check(open[i] as string);
    const day = { ...checked, pending: i === start && allowPendingStart && checked.pending };
    days.push(day);
    if (day.pending) continue;
    if (!day.clean) return { clean, days, broken: day.failures };
    clean++;
  }
  return { clean, days, broken: clean < required ? ['calendar_exhausted'] : [] };
}

function groupBy(
  runs: readonly RunView[],
  key: (run: RunView) => string | undefined,
): Map<string, RunView[]> {
  const out = new Map<string, RunView[]>();
  for (const run of runs) {
    const k = key(run);
    if (k === undefined) continue;
    const list = out.get(k);
    if (list) list.push(run);
    else out.set(k, [run]);
  }
  return out;
}

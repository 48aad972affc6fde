import type { Config } from '../../contracts/config.js';
import type { ControlPayload } from '../../contracts/events/control.js';
import type { CoveragePoint, RunState } from '../gates/types.js';

export type AlertPayload = ControlPayload<'AlertRaised'>;
export type AlertThresholds = Config['alerts'];

export interface AlertInput {
  /** The recent runs to judge (the caller picks the window); running ones are not counted. */
  runs: readonly { status: RunState }[];
  /** Coverage per module and trade date; each module is judged on its latest applicable date. */
  coverage: readonly CoveragePoint[];
  /** Runs left `running` past their heartbeat timeout. */
  residue: number;
  /** Records behind, per consumer (a bare number is one unnamed consumer). */
  consumerLag: number | Readonly<Record<string, number>>;
  thresholds: AlertThresholds;
  /** Alerts raised and still open, by name: an ongoing condition is raised once. */
  open?: Iterable<string>;
  /** Fewer finished runs than this raise no failure-rate alert: one failure in two runs is no rate. */
  minRuns?: number;
}

/**
 * Alert names are stable: one per condition (and per module or consumer where there are several),
 * so a dashboard, a dedupe and a human can match a raise with the condition that caused it.
 */
export const ALERTS = {
  failureRate: 'run_failure_rate_high',
  coverage: (module: string) => `coverage_below:${module}`,
  residue: 'running_residue_high',
  consumerLag: (consumer: string) => `consumer_lag_high:${consumer}`,
} as const;

const round = (value: number) => Math.round(value * 10_000) / 10_000;

/** Every alert condition holding now, whether or not it was raised before. */
export function currentConditions(input: AlertInput): AlertPayload[] {
  const { thresholds } = input;
  const out: AlertPayload[] = [];

  const finished = input.runs.filter((r) => r.status !== 'running');
  const failed = finished.filter((r) => r.status === 'failed' || r.status === 'abandoned').length;
  if (finished.length >= (input.minRuns ?? 5) && failed / finished.length > thresholds.maxFailureRate) {
    const rate = round(failed / finished.length);
    out.push({
      alert: ALERTS.failureRate,
      severity: 'critical',
      message: `${failed} of ${finished.length} recent runs failed (rate ${rate} > ${thresholds.maxFailureRate})`,
      value: rate,
      threshold: thresholds.maxFailureRate,
    });
  }

  const latest = new Map<string, { tradeDate: string; coverage: number }>();
  for (const point of input.coverage) {
    if (point.coverage === null) continue;
    const seen = latest.get(point.module);
    if (seen === undefined || point.tradeDate > seen.tradeDate) {
      latest.set(point.module, { tradeDate: point.tradeDate, coverage: point.coverage });
    }
  }
  for (const [module, { tradeDate, coverage }] of [...latest].sort(([a], [b]) => a.localeCompare(b))) {
    if (coverage >= thresholds.minCoverage) continue;
    out.push({
      alert: ALERTS.coverage(module),
      severity: coverage === 0 ? 'critical' : 'warning',
      message: `${module} coverage on ${tradeDate} is ${round(coverage)} < ${thresholds.minCoverage}`,
      value: round(coverage),
      threshold: thresholds.minCoverage,
    });
  }

  if (input.residue > thresholds.maxRunningResidue) {
    out.push({
      alert: ALERTS.residue,
      severity: 'warning',
      message: `${input.residue} runs left running past their heartbeat timeout (> ${thresholds.maxRunningResidue})`,
      value: input.residue,
      threshold: thresholds.maxRunningResidue,
    });
  }

  const lags = typeof input.consumerLag === 'number' ? { all: input.consumerLag } : input.consumerLag;
  for (const [consumer, lag] of Object.entries(lags).sort(([a], [b]) => a.localeCompare(b))) {
    if (lag <= thresholds.maxConsumerLag) continue;
    out.push({
      alert: ALERTS.consumerLag(consumer),
      severity: 'warning',
      message: `consumer ${consumer} is ${lag} records behind (> ${thresholds.maxConsumerLag})`,
      value: lag,
      threshold: thresholds.maxConsumerLag,
    });
  }
  return out;
}

/** The alerts to raise now: conditions holding that are not already open. */
export function evaluateAlerts(input: AlertInput): AlertPayload[] {
  const open = new Set(input.open ?? []);
  return currentConditions(input).filter((a) => !open.has(a.alert));
}

/** Open alerts whose condition no longer holds: the caller may close them. */
export function resolvedAlerts(input: AlertInput): string[] {
  const holding = new Set(currentConditions(input).map((a) => a.alert));
  return [...new Set(input.open ?? [])].filter((name) => !holding.has(name));
}

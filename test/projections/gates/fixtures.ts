import { batchCoverageModules } from '../../../projections/gates/scope.js';
import type { CoveragePoint, RunView } from '../../../projections/gates/types.js';

/** SSE sessions of February 2026: weekdays, with the Spring Festival week (16–20) closed. */
export const FEB_2026 = [
  '20260202',
  '20260203',
  '20260204',
  '20260205',
  '20260206',
  '20260209',
  '20260210',
  '20260211',
  '20260212',
  '20260213',
  '20260223',
  '20260224',
  '20260225',
];

/** An instant in Beijing time. */
export const at = (date: string, time = '10:00') =>
  Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${time}:00+08:00`);

let offset = 1_000;

/** A finished, successful main run proving `toDate`, started at `startedAt`. */
export function run(overrides: Partial<RunView> & { startedAt: number }): RunView {
  offset += 1;
  return {
    runId: `run-${offset}`,
    chain: 'main',
    batch: null,
    status: 'ok',
    fromDate: overrides.toDate ?? null,
    toDate: null,
    finishedAt: overrides.startedAt + 60_000,
    lastHeartbeat: overrides.startedAt + 60_000,
    heartbeatTimeoutMs: 120_000,
    controlOffset: offset,
    ...overrides,
  };
}

/** Coverage 1 for every module given on every date, with overrides `date|module → value`. */
export function coverage(
  modules: readonly string[],
  dates: readonly string[] = FEB_2026,
  overrides: Record<string, number | null> = {},
): CoveragePoint[] {
  return dates.flatMap((tradeDate) =>
    modules.map((module) => {
      const key = `${tradeDate}|${module}`;
      return { tradeDate, module, coverage: key in overrides ? (overrides[key] as number | null) : 1 };
    }),
  );
}

export const P0_MODULES = batchCoverageModules('p0');
export const THRESHOLDS = { requiredDays: 3, minCoverage: 0.98 };

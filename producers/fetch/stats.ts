import type { ControlPayload } from '../../contracts/events/control.js';
import type { CallCounters } from '../tushare/source.js';

export type RunStats = ControlPayload<'RunFinished'>['stats'];

export function addCounts(
  into: Record<string, number>,
  more: Readonly<Record<string, number>>,
): Record<string, number> {
  const out = { ...into };
  for (const [code, n] of Object.entries(more)) if (n > 0) out[code] = (out[code] ?? 0) + n;
  return out;
}

/** What a source did between two readings of its cumulative counters. */
export function counterDelta(before: CallCounters, after: CallCounters): CallCounters {
  const errorsByClass: Record<string, number> = {};
  for (const [code, n] of Object.entries(after.errorsByClass)) {
    const d = n - (before.errorsByClass[code] ?? 0);
    if (d > 0) errorsByClass[code] = d;
  }
  const requestsByApi: Record<string, number> = {};
  for (const [api, n] of Object.entries(after.requestsByApi ?? {})) {
    const d = n - (before.requestsByApi?.[api] ?? 0);
    if (d > 0) requestsByApi[api] = d;
  }
  return {
    requests: after.requests - before.requests,
    pages: after.pages - before.pages,
    retries: after.retries - before.retries,
    rowsFetched: after.rowsFetched - before.rowsFetched,
    errorsByClass,
    requestsByApi,
  };
}

export interface EndpointCalls {
  /** One call per planned task (a task of several pages costs more). */
  planned: number;
  /** Requests made, pages and retries included. */
  actual: number;
}

/** Planned and actual calls per endpoint: what a run meant to spend of the budget and what it spent. */
export function callsPerEndpoint(
  planned: readonly { apiName: string }[],
  actual: Readonly<Record<string, number>>,
): Record<string, EndpointCalls> {
  const out: Record<string, EndpointCalls> = {};
  const entry = (apiName: string): EndpointCalls => {
    const found = out[apiName] ?? { planned: 0, actual: 0 };
    out[apiName] = found;
    return found;
  };
  for (const { apiName } of planned) entry(apiName).planned += 1;
  for (const [apiName, n] of Object.entries(actual)) entry(apiName).actual = n;
  return out;
}

/**
 * The unified stats: call figures come from the source (it alone sees retries and failed attempts,
 * Tushare errors included), rows emitted and failures outside the source (encoding, the log) from
 * the run itself.
 */
export function runStats(input: {
  source: CallCounters;
  rowsEmitted: number;
  runErrors: Readonly<Record<string, number>>;
  durationMs: number;
}): RunStats {
  return {
    requests: input.source.requests,
    pages: input.source.pages,
    retries: input.source.retries,
    rowsFetched: input.source.rowsFetched,
    rowsEmitted: input.rowsEmitted,
    errorsByClass: addCounts(input.source.errorsByClass, input.runErrors),
    durationMs: Math.max(0, Math.round(input.durationMs)),
  };
}

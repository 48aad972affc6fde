import { type ApiName, endpointsForBatch } from '../../../contracts/catalog/index.js';
import { CALENDAR_API, calendarParams, openDatesOf } from '../../../producers/fetch/planner.js';
import type { SandboxDataset } from '../../../producers/sandbox/dataset.js';
import { matrixModule } from '../../../projections/matrix/modules.js';

/** The P0 per-trade-date endpoints: the bars, and those with tables of their own (adj_factor). */
export const P0_DATED: readonly ApiName[] = endpointsForBatch('p0')
  .filter((spec) => spec.role === 'market')
  .map((spec) => spec.apiName as ApiName);

/** The P0 endpoints that land in market_bar, with the asset class their rows carry there. */
export const P0_BARS = endpointsForBatch('p0')
  .filter((spec) => spec.role === 'market' && matrixModule(spec.apiName).table === 'market_bar')
  .map((spec) => ({ api: spec.apiName as ApiName, asset: spec.assetClass }));

/** What the sandbox serves of one endpoint per YYYYMMDD over the days. */
export function expectedPerDay(dataset: SandboxDataset, api: ApiName, days: readonly string[]) {
  return Object.fromEntries(days.map((day) => [day, dataset.query(api, { trade_date: day }).length]));
}

/** The open trade dates a fetch of the range plans, read from the sandbox as the fetch reads them. */
export function openDates(dataset: SandboxDataset, from: string, to: string): string[] {
  return openDatesOf(dataset.query(CALENDAR_API, calendarParams(from, to)));
}

export function calendarRows(dataset: SandboxDataset, from: string, to: string): number {
  return dataset.query(CALENDAR_API, calendarParams(from, to)).length;
}

/**
 * What the sandbox serves per `<asset_class>|<YYYYMMDD>`, for every open day and P0 bar endpoint:
 * exactly the rows market_bar must hold after the range is fetched and processed, no more, no less.
 */
export function expectedBars(dataset: SandboxDataset, days: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const day of days) {
    for (const { api, asset } of P0_BARS) {
      const rows = dataset.query(api, { trade_date: day }).length;
      if (rows > 0) out[`${asset}|${day}`] = (out[`${asset}|${day}`] ?? 0) + rows;
    }
  }
  return out;
}

/** The entries of `bars` for one asset class, keyed by day. */
export function ofAsset(bars: Record<string, number>, asset: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(bars)
      .filter(([key]) => key.startsWith(`${asset}|`))
      .map(([key, n]) => [key.slice(asset.length + 1), n]),
  );
}

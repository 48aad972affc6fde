import { type ApiName, endpoint } from '../../contracts/catalog/index.js';
import { cursorName } from './planner.js';

export interface RecheckInput {
  /** The endpoints a run fetches; only those fetched per trade date are re-checked. */
  endpoints: readonly ApiName[];
  cursors: Readonly<Record<string, string>>;
  /** Open trade dates, any order. */
  openDates: readonly string[];
  /** The re-check window: this many open days at or before each cursor (0: none). */
  windowDays: number;
  /** Days the status matrix found partial against their expected set, per endpoint. */
  partial?: Readonly<Partial<Record<ApiName, readonly string[]>>>;
}

/** Endpoints whose days a re-check can fetch again: those Tushare serves per trade date. */
export function isRecheckable(apiName: ApiName): boolean {
  return endpoint(apiName).fetchMode === 'trade_date';
}

/**
 * The days at or before each trade-date endpoint's cursor that a daily run fetches again: the last
 * `windowDays` open days (Tushare publishes some endpoints late or in parts, and corrects values
 * within days: a row or a value that changed is then stored as a revision, once), and every day
 * the matrix found partial. Days after the cursor are the run's own work already. An endpoint
 * never fetched has nothing to re-check.
 */
export function recheckDays(input: RecheckInput): Partial<Record<ApiName, string[]>> {
  const open = [...new Set(input.openDates)].sort();
  const out: Partial<Record<ApiName, string[]>> = {};
  for (const apiName of input.endpoints) {
    if (!isRecheckable(apiName)) continue;
    const cursor = input.cursors[cursorName(endpoint(apiName))];
    if (cursor === undefined) continue;
    const upToCursor = open.filter((d) => d <= cursor);
    const window = input.windowDays > 0 ? upToCursor.slice(-input.windowDays) : [];
    const partial = (input.partial?.[apiName] ?? []).filter((d) => d <= cursor);
    const days = [...new Set([...window, ...partial])].sort();
    if (days.length > 0) out[apiName] = days;
  }
  return out;
}

/** The earliest day any endpoint re-checks, to start the run's range (and calendar) there. */
export function earliestRecheck(
  recheck: Readonly<Partial<Record<ApiName, readonly string[]>>>,
): string | undefined {
  return Object.values(recheck)
    .flatMap((days) => days?.[0] ?? [])
    .sort()[0];
}

import type { ApiName } from '../contracts/catalog/index.js';
import { addDays, maxYmd } from '../contracts/dates.js';
import type { RolloutFlags } from '../contracts/flags.js';
import { CALENDAR_EXCHANGE } from '../producers/fetch/planner.js';
import { isRecheckable, recheckDays } from '../producers/fetch/recheck.js';
import { computeMatrix } from '../projections/matrix/matrix.js';
import { DAILY_MATRIX_MODULES } from '../projections/matrix/modules.js';
import type { Runtime } from './runtime.js';

/**
 * What a daily run fetches again before its new days (README, "Publication states"): the re-check
 * window and the days the status matrix finds partial, read from the store as the previous runs
 * left it (so `run`, which processes what it fetched, sees its own partial days the next time).
 */
export async function readRecheck(
  runtime: Runtime,
  input: {
    endpoints: readonly ApiName[];
    cursors: Readonly<Record<string, string>>;
    today: string;
    /** The switches in force for this job: a module they shut has no partial days to fetch. */
    flags: RolloutFlags;
  },
): Promise<Partial<Record<ApiName, string[]>>> {
  const endpoints = input.endpoints.filter(isRecheckable);
  const { recheckDays: windowDays, partialLookbackDays } = runtime.config.publication;
  if (endpoints.length === 0 || (windowDays === 0 && partialLookbackDays === 0)) return {};
  // Enough calendar days to hold the window's open days across a long holiday.
  const since = addDays(input.today, -Math.max(partialLookbackDays, windowDays * 3 + 14));
  const { rows } = await runtime.pool.query<{ day: string }>(
    `SELECT to_char(cal_date, 'YYYYMMDD') AS day FROM trade_calendar
     WHERE exchange = $1 AND is_open AND cal_date BETWEEN to_date($2, 'YYYYMMDD') AND to_date($3, 'YYYYMMDD')`,
    [CALENDAR_EXCHANGE, since, input.today],
  );
  return recheckDays({
    endpoints,
    cursors: input.cursors,
    openDates: rows.map((r) => r.day),
    windowDays,
    partial:
      partialLookbackDays === 0 ? {} : await partialDays(runtime, endpoints, input, partialLookbackDays),
  });
}

async function partialDays(
  runtime: Runtime,
  endpoints: readonly ApiName[],
  input: { today: string; flags: RolloutFlags },
  lookbackDays: number,
): Promise<Partial<Record<ApiName, string[]>>> {
  const modules = endpoints.filter((api) => DAILY_MATRIX_MODULES.includes(api));
  if (modules.length === 0) return {};
  const { cells } = await computeMatrix(runtime.pool, {
    target: 'universe',
    modules,
    from: maxYmd(addDays(input.today, -lookbackDays), '19900101'),
    to: input.today,
    flags: input.flags,
    // The flags given are already the ones in force: the phase has had its say.
    phase: { phase: 'E', frozen: false },
  });
  const out: Partial<Record<ApiName, string[]>> = {};
  for (const cell of cells) {
    if (cell.publication !== 'partial') continue;
    const api = cell.module as ApiName;
    out[api] = [...(out[api] ?? []), cell.tradeDate];
  }
  return out;
}

/**
 * Trade-date arithmetic on Tushare's YYYYMMDD strings, for which string order is time order.
 * Trading days are Beijing dates, so wall-clock times are read in UTC+8 (China keeps no DST).
 */

const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** The Beijing calendar date (YYYYMMDD) of an instant. */
export function beijingDate(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '');
}

/** Sorted, de-duplicated open dates, the shape every lookup below expects. */
export function sortedDates(dates: Iterable<string>): string[] {
  return [...new Set(dates)].sort();
}

/**
 * Index of the latest date in `sorted` on or before `date`, or -1. Work done on a closed day (a
 * Saturday run, a replay of a holiday) belongs to the last session before it.
 */
export function indexOnOrBefore(sorted: readonly string[], date: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as string) <= date) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export function sessionOnOrBefore(sorted: readonly string[], date: string): string | undefined {
  const index = indexOnOrBefore(sorted, date);
  return index < 0 ? undefined : sorted[index];
}

const toUtc = (date: string) =>
  Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8)));

/** Every calendar date from `from` to `to`, both included. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = toUtc(from); t <= toUtc(to); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10).replaceAll('-', ''));
  }
  return out;
}

/** 0 Sunday … 6 Saturday. */
export function weekday(date: string): number {
  return new Date(toUtc(date)).getUTCDay();
}

export const isTradeDate = (value: string): boolean =>
  /^\d{8}$/.test(value) && datesBetween(value, value)[0] === value;

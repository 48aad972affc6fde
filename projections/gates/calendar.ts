/**
 * Lookups over sorted open trade dates (YYYYMMDD, for which string order is time order). Plain
 * date arithmetic lives in contracts/dates.ts.
 */

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

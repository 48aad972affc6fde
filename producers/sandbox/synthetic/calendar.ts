import { type DayNum, dayNum, formatYmd, isWeekend, nthWeekday, parseYmd, weekday, yearOf } from './dates.js';

/**
 * Trading calendars by rule, for any year:
 * - `CN`: the SSE/SZSE calendar, which the futures exchanges and the SGE share. Weekends are closed
 *   (the exchanges never open on the make-up working Saturdays), plus the statutory holidays as the
 *   exchanges observe them: New Year, a Spring Festival week, Qingming, Labour Day (May 1–5), Dragon
 *   Boat, Mid-Autumn and a National Day week. Lunar dates come from ICU's Chinese calendar (Node's
 *   Intl); short holidays bridge to the weekend the way the State Council schedules usually do.
 * - `FX`: every weekday (FXCM daily bars are GMT dates and trade through CN holidays).
 * - `US`: US bond-market days: weekdays minus the federal holidays, Saturday holidays observed on
 *   Friday and Sunday ones on Monday.
 */
export type CalendarName = 'CN' | 'FX' | 'US';

const lunarFormat = new Intl.DateTimeFormat('en-u-ca-chinese', {
  timeZone: 'UTC',
  month: 'numeric',
  day: 'numeric',
});

/** The Gregorian day of a lunar (month, day) in a year, searched inside a window it always falls in. */
function lunarDay(year: number, month: number, day: number, window: [DayNum, DayNum]): DayNum {
  for (let n = window[0]; n <= window[1]; n++) {
    let m = '';
    let d = '';
    for (const part of lunarFormat.formatToParts(new Date(n * 86_400_000))) {
      if (part.type === 'month') m = part.value;
      else if (part.type === 'day') d = part.value;
    }
    if (m === String(month) && d === String(day)) return n;
  }
  throw new RangeError(`lunar ${month}/${day} not found in ${year}`);
}

const cnCache = new Map<number, ReadonlySet<DayNum>>();

/** Weekdays the CN exchanges close for the holidays of one year (may spill into the year before). */
function cnHolidays(year: number): ReadonlySet<DayNum> {
  const cached = cnCache.get(year);
  if (cached !== undefined) return cached;
  const closed = new Set<DayNum>();
  const close = (n: DayNum) => {
    if (!isWeekend(n)) closed.add(n);
  };
  // A one-day holiday becomes a three-day break: Tuesday takes the Monday, Thursday the Friday,
  // a weekend day moves to the Monday.
  const shortBreak = (n: DayNum) => {
    close(n);
    const wd = weekday(n);
    if (wd === 2) close(n - 1);
    else if (wd === 4) close(n + 1);
    else if (wd === 6) close(n + 2);
    else if (wd === 0) close(n + 1);
  };
  const span = (from: DayNum, to: DayNum) => {
    for (let n = from; n <= to; n++) close(n);
  };

  shortBreak(dayNum(year, 1, 1));
  const springFestival = lunarDay(year, 1, 1, [dayNum(year, 1, 19), dayNum(year, 2, 22)]);
  span(springFestival - 1, springFestival + 6);
  // Qingming (a solar term) falls on April 4 or 5; this pattern holds through the 2020s and 2030s.
  shortBreak(dayNum(year, 4, year % 4 <= 1 ? 4 : 5));
  span(dayNum(year, 5, 1), dayNum(year, 5, 5));
  shortBreak(lunarDay(year, 5, 5, [dayNum(year, 5, 25), dayNum(year, 6, 26)]));
  const midAutumn = lunarDay(year, 8, 15, [dayNum(year, 9, 6), dayNum(year, 10, 9)]);
  const octFirst = dayNum(year, 10, 1);
  span(octFirst, octFirst + 6);
  if (midAutumn >= octFirst - 3 && midAutumn <= octFirst + 7) {
    // Mid-Autumn next to National Day merges into one long break.
    span(Math.min(midAutumn, octFirst), octFirst + 6);
    if (midAutumn >= octFirst) close(octFirst + 7);
  } else {
    shortBreak(midAutumn);
  }
  cnCache.set(year, closed);
  return closed;
}

const usCache = new Map<number, ReadonlySet<DayNum>>();

function usHolidays(year: number): ReadonlySet<DayNum> {
  const cached = usCache.get(year);
  if (cached !== undefined) return cached;
  const closed = new Set<DayNum>();
  const observed = (n: DayNum) => {
    const wd = weekday(n);
    closed.add(wd === 6 ? n - 1 : wd === 0 ? n + 1 : n);
  };
  observed(dayNum(year, 1, 1));
  closed.add(nthWeekday(year, 1, 1, 3)); // Martin Luther King Jr. Day
  closed.add(nthWeekday(year, 2, 1, 3)); // Washington's Birthday
  closed.add(nthWeekday(year, 5, 1, -1)); // Memorial Day
  if (year >= 2022) observed(dayNum(year, 6, 19)); // Juneteenth
  observed(dayNum(year, 7, 4));
  closed.add(nthWeekday(year, 9, 1, 1)); // Labor Day
  closed.add(nthWeekday(year, 10, 1, 2)); // Columbus Day
  observed(dayNum(year, 11, 11));
  closed.add(nthWeekday(year, 11, 4, 4)); // Thanksgiving
  observed(dayNum(year, 12, 25));
  usCache.set(year, closed);
  return closed;
}

export function isOpenOn(calendar: CalendarName, n: DayNum): boolean {
  if (isWeekend(n)) return false;
  if (calendar === 'FX') return true;
  const year = yearOf(n);
  if (calendar === 'CN') return !cnHolidays(year).has(n) && !cnHolidays(year + 1).has(n);
  return !usHolidays(year).has(n) && !usHolidays(year + 1).has(n);
}

/**
 * One calendar over a date range, materialised: the open days in order with their index, so a
 * price path can be an array indexed by trading day. Questions about days outside the range are
 * answered by the rule.
 */
export class TradingCalendar {
  /** Open days in range, ascending, as `YYYYMMDD`. */
  readonly days: readonly string[];
  /** The same days as day numbers. */
  readonly dayNums: Int32Array;
  readonly #index: ReadonlyMap<string, number>;

  constructor(
    readonly name: CalendarName,
    readonly from: DayNum,
    readonly to: DayNum,
  ) {
    const nums: number[] = [];
    for (let n = from; n <= to; n++) if (isOpenOn(name, n)) nums.push(n);
    this.dayNums = Int32Array.from(nums);
    this.days = nums.map(formatYmd);
    this.#index = new Map(this.days.map((d, i) => [d, i]));
  }

  get length(): number {
    return this.days.length;
  }

  isOpen(n: DayNum): boolean {
    return isOpenOn(this.name, n);
  }

  /** Index of an open day in range; undefined for a closed day or one outside the range. */
  indexOf(ymd: string): number | undefined {
    return this.#index.get(ymd);
  }

  /** The last open day strictly before `n` (not bounded by the range). */
  prevOpen(n: DayNum): DayNum {
    let d = n - 1;
    while (!this.isOpen(d)) d--;
    return d;
  }

  /** The first open day on or after `n` (not bounded by the range). */
  openOnOrAfter(n: DayNum): DayNum {
    let d = n;
    while (!this.isOpen(d)) d++;
    return d;
  }

  /** The k-th (1-based) open day of a month. */
  nthOpenOfMonth(year: number, month: number, k: number): DayNum {
    let d = dayNum(year, month, 1) - 1;
    for (let i = 0; i < k; i++) d = this.openOnOrAfter(d + 1);
    return d;
  }

  /**
   * Index range [start, end) of the open days within inclusive `YYYYMMDD` bounds (either may be null).
   */
  span(from: string | null, to: string | null): [number, number] {
    const lo = from === null ? this.from : parseYmd(from);
    const hi = to === null ? this.to : parseYmd(to);
    return [lowerBound(this.dayNums, lo), lowerBound(this.dayNums, hi + 1)];
  }

  /** First index whose day is on or after `n` (= length when none). */
  indexOnOrAfter(n: DayNum): number {
    return lowerBound(this.dayNums, n);
  }

  /** Every calendar day of the range with its open flag. */
  allDays(): { date: string; isOpen: boolean }[] {
    const out: { date: string; isOpen: boolean }[] = [];
    for (let n = this.from; n <= this.to; n++) out.push({ date: formatYmd(n), isOpen: this.isOpen(n) });
    return out;
  }
}

function lowerBound(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Tushare's `YYYYMMDD` day strings. String order is time order for them, so comparisons stay plain
 * string comparisons; arithmetic goes through UTC dates so no local time zone can shift a day.
 */

const YMD = /^(\d{4})(\d{2})(\d{2})$/;

export function isYmd(value: string): boolean {
  const match = YMD.exec(value);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return ymdOfUtc(date) === value;
}

function parse(ymd: string): Date {
  const match = YMD.exec(ymd);
  if (!match) throw new RangeError(`not a YYYYMMDD date: ${ymd}`);
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
}

function ymdOfUtc(date: Date): string {
  const y = String(date.getUTCFullYear()).padStart(4, '0');
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return `${y}${m}${d}`;
}

export function addDays(ymd: string, days: number): string {
  const date = parse(ymd);
  date.setUTCDate(date.getUTCDate() + days);
  return ymdOfUtc(date);
}

/** Calendar days from `a` to `b` (negative when b is earlier). */
export function daysBetween(a: string, b: string): number {
  return Math.round((parse(b).getTime() - parse(a).getTime()) / 86_400_000);
}

/**
 * The date on the exchanges' clock of an instant (today by default): China Standard Time is UTC+8
 * all year, with no daylight saving. Trading days, and the runs that fall on them, are China dates.
 */
export function chinaDate(nowMs: number = Date.now()): string {
  return ymdOfUtc(new Date(nowMs + 8 * 3_600_000));
}

/** Every calendar date from `from` to `to`, both included. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) out.push(day);
  return out;
}

/** 0 Sunday … 6 Saturday. */
export function weekday(ymd: string): number {
  return parse(ymd).getUTCDay();
}

/** `YYYYMM` of a day. */
export const monthOf = (ymd: string): string => ymd.slice(0, 6);

/** `YYYYQn` of a day, Tushare's quarter spelling. */
export const quarterOf = (ymd: string): string =>
  `${ymd.slice(0, 4)}Q${Math.floor((Number(ymd.slice(4, 6)) - 1) / 3) + 1}`;

export function addMonths(yyyymm: string, months: number): string {
  const index = Number(yyyymm.slice(0, 4)) * 12 + Number(yyyymm.slice(4, 6)) - 1 + months;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}${String((index % 12) + 1).padStart(2, '0')}`;
}

export function addQuarters(quarter: string, quarters: number): string {
  const index = Number(quarter.slice(0, 4)) * 4 + Number(quarter.slice(5)) - 1 + quarters;
  return `${Math.floor(index / 4)}Q${(index % 4) + 1}`;
}

export const maxYmd = (a: string, b: string): string => (a >= b ? a : b);
export const minYmd = (a: string, b: string): string => (a <= b ? a : b);

/**
 * Calendar dates as day numbers (days since 1970-01-01, UTC) for arithmetic, and Tushare's
 * `YYYYMMDD` strings at the edges.
 */

export type DayNum = number;

const MS_PER_DAY = 86_400_000;
const YMD = /^(\d{4})(\d{2})(\d{2})$/;

export function dayNum(year: number, month: number, day: number): DayNum {
  return Math.round(Date.UTC(year, month - 1, day) / MS_PER_DAY);
}

/** True for a real calendar date written `YYYYMMDD`. */
export function isYmd(text: string): boolean {
  const m = YMD.exec(text);
  if (m === null) return false;
  const n = dayNum(Number(m[1]), Number(m[2]), Number(m[3]));
  return formatYmd(n) === text;
}

/** `YYYYMMDD` → day number; throws on text that is not a real date. */
export function parseYmd(text: string): DayNum {
  if (!isYmd(text)) throw new RangeError(`not a YYYYMMDD date: ${text}`);
  return dayNum(Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8)));
}

export function formatYmd(n: DayNum): string {
  const d = new Date(n * MS_PER_DAY);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  return `${y}${m < 10 ? '0' : ''}${m}${day < 10 ? '0' : ''}${day}`;
}

/** `YYYYMMDD` → `YYYY-MM-DD`. */
export function dashed(ymd: string): string {
  return `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(n: DayNum): number {
  return (((n + 4) % 7) + 7) % 7;
}

export function isWeekend(n: DayNum): boolean {
  const w = weekday(n);
  return w === 0 || w === 6;
}

export function yearOf(n: DayNum): number {
  return new Date(n * MS_PER_DAY).getUTCFullYear();
}

export function monthOf(n: DayNum): number {
  return new Date(n * MS_PER_DAY).getUTCMonth() + 1;
}

/** The n-th (1-based) given weekday of a month; n = -1 for the last one. */
export function nthWeekday(year: number, month: number, wd: number, n: number): DayNum {
  if (n > 0) {
    const first = dayNum(year, month, 1);
    return first + ((wd - weekday(first) + 7) % 7) + (n - 1) * 7;
  }
  const last = dayNum(year, month + 1, 1) - 1;
  return last - ((weekday(last) - wd + 7) % 7);
}

/** `YYYYMM` of a (year, month) pair, month allowed outside 1..12. */
export function yyyymm(year: number, month: number): string {
  const total = year * 12 + (month - 1);
  const y = Math.floor(total / 12);
  const m = (total % 12) + 1;
  return `${y}${m < 10 ? '0' : ''}${m}`;
}

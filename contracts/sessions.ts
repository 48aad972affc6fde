import { addDays, weekday } from './dates.js';

/**
 * Trading sessions on the exchanges' clock (China time), the one source for how many minute bars an
 * instrument-day has: the sandbox cuts its minutes by them, the planner sizes its windows by them
 * and the status matrix expects bars by them.
 *
 * A bar is stamped with the minute it ends. Stocks and indexes: Tushare serves the 09:30 opening
 * auction as a bar of its own, then 09:31 … 11:30 and 13:01 … 15:00, so a one-minute day has 241
 * bars and a five-minute day 49 (the recorded 600000.SH day of 2023-08-25 has exactly those 49).
 * Futures follow their exchange: CFFEX keeps the stock-market hours without an auction bar;
 * commodity exchanges trade 09:00–10:15, 10:30–11:30, 13:30–15:00, and most add a night session
 * the evening before (DCE and CZCE to 23:00, SHFE and INE to 01:00 here; real products differ
 * within an exchange, e.g. gold to 02:30, which the per-exchange table does not model). GFEX has
 * no night session.
 */
export interface Session {
  /** Minute of the day the session opens (09:30 → 570); a night session counts from the evening before. */
  readonly open: number;
  readonly minutes: number;
  /** Held the evening before the trading day it belongs to. */
  readonly night?: boolean;
}

/** The 09:30 opening-auction bar: a one-minute session ending at 09:30. */
const AUCTION: Session = { open: 569, minutes: 1 };
const STOCK_DAY: readonly Session[] = [
  { open: 570, minutes: 120 },
  { open: 780, minutes: 120 },
];
const COMMODITY_DAY: readonly Session[] = [
  { open: 540, minutes: 75 },
  { open: 630, minutes: 60 },
  { open: 810, minutes: 90 },
];

export const EQUITY_SESSIONS: readonly Session[] = [AUCTION, ...STOCK_DAY];

export const FUTURES_SESSIONS: Readonly<Record<string, readonly Session[]>> = {
  CFFEX: STOCK_DAY,
  DCE: [{ open: 1260, minutes: 120, night: true }, ...COMMODITY_DAY],
  CZCE: [{ open: 1260, minutes: 120, night: true }, ...COMMODITY_DAY],
  SHFE: [{ open: 1260, minutes: 240, night: true }, ...COMMODITY_DAY],
  INE: [{ open: 1260, minutes: 240, night: true }, ...COMMODITY_DAY],
  GFEX: COMMODITY_DAY,
};

/** Futures exchange (as `exchange` params name it) → the ts_code suffix of its contracts. */
export const FUTURES_EXCHANGE_SUFFIX: Readonly<Record<string, string>> = {
  CFFEX: 'CFX',
  DCE: 'DCE',
  CZCE: 'ZCE',
  SHFE: 'SHF',
  INE: 'INE',
  GFEX: 'GFE',
};

/** The exchange of a futures contract by its ts_code suffix (`CU2401.SHF` → SHFE); undefined for another. */
export function futuresExchangeOf(tsCode: string): string | undefined {
  const suffix = tsCode.slice(tsCode.lastIndexOf('.') + 1);
  return Object.keys(FUTURES_EXCHANGE_SUFFIX).find(
    (exchange) => FUTURES_EXCHANGE_SUFFIX[exchange] === suffix,
  );
}

/** The sessions of an asset class (and, for futures, its exchange); undefined for an unknown exchange. */
export function sessionsOf(assetClass: string, exchange?: string): readonly Session[] | undefined {
  if (assetClass === 'futures') return exchange === undefined ? undefined : FUTURES_SESSIONS[exchange];
  return assetClass === 'stock' || assetClass === 'etf' || assetClass === 'index'
    ? EQUITY_SESSIONS
    : undefined;
}

/**
 * The frequency the minute-history modules fetch (lower case, as Tushare takes it and minute_bar
 * keys it): the fetch planner's default and the one the status matrix measures.
 */
export const MINUTE_FREQ = '1min';

/** `1min`, `5MIN` → 5; undefined for anything Tushare does not serve. */
export function freqMinutes(freq: string): number | undefined {
  const match = /^(1|5|15|30|60)min$/i.exec(freq.trim());
  return match ? Number(match[1]) : undefined;
}

/** Bars per session cut at `minutes`, counted from each session's open; a session's last bar may be shorter. */
export function barsPerDay(sessions: readonly Session[], minutes: number): number {
  return sessions.reduce((sum, s) => sum + Math.ceil(s.minutes / minutes), 0);
}

/** The most bars any futures exchange has in a day at `minutes`: a minute window must fit a page for all. */
export function maxFuturesBarsPerDay(minutes: number): number {
  return Math.max(...Object.values(FUTURES_SESSIONS).map((s) => barsPerDay(s, minutes)));
}

const isWeekend = (ymd: string): boolean => weekday(ymd) === 0 || weekday(ymd) === 6;

/** The next Monday-to-Friday day after `ymd`. */
function nextWeekday(ymd: string): string {
  let day = addDays(ymd, 1);
  while (isWeekend(day)) day = addDays(day, 1);
  return day;
}

const dashed = (ymd: string): string => `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`;

/**
 * A minute-history window covering the trading days `from` … `to` as Tushare's datetime bounds.
 * Windows meet at 16:00, after every day session and before any night session, so a night session
 * falls in the window of the trading day it belongs to: the first bound is 16:00 of the weekday
 * before `from`, whose evening holds `from`'s night session (Friday's, for a Monday).
 */
export function minuteWindow(from: string, to: string): { start_date: string; end_date: string } {
  let evening = addDays(from, -1);
  while (isWeekend(evening)) evening = addDays(evening, -1);
  return { start_date: `${dashed(evening)} 16:00:00`, end_date: `${dashed(to)} 16:00:00` };
}

/**
 * The trading day a bar stamped `YYYYMMDD` + `HH:MM` belongs to. A futures bar of the evening (from
 * 18:00) or after midnight (before 06:00) is in a night session, which belongs to the next trading
 * day: Friday night is Monday's. The exchanges hold no night session before a holiday, so the next
 * weekday after the session's evening is always the next open day; no calendar is needed.
 */
export function tradingDayOf(assetClass: string, ymd: string, hhmm: string): string {
  if (assetClass !== 'futures') return ymd;
  const hour = Number(hhmm.slice(0, 2));
  if (hour >= 18) return nextWeekday(ymd);
  if (hour < 6) return nextWeekday(addDays(ymd, -1));
  return ymd;
}

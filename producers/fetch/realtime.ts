import { addDays, chinaDate } from '../../contracts/dates.js';
import { EQUITY_SESSIONS, type Session } from '../../contracts/sessions.js';

/**
 * When realtime data exists (pure): the equity session on an open trade date, on the exchanges'
 * clock (China time, UTC+8, no daylight saving). Realtime endpoints answer the session in progress,
 * so `xasset fetch --realtime` runs only inside it and `--follow` stops at its close.
 */

const CHINA_OFFSET_MS = 8 * 3_600_000;
const MINUTE_MS = 60_000;

/** The instant a minute of the day (China time) falls on a YYYYMMDD date. */
export function chinaInstant(ymd: string, minuteOfDay: number): number {
  const midnightUtc = Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6, 8)));
  return midnightUtc - CHINA_OFFSET_MS + minuteOfDay * MINUTE_MS;
}

/** `2026-12-02 09:29` China time, for people reading when the session opens or closes. */
export function formatChinaTime(ms: number): string {
  return `${new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ')} China time`;
}

export type SessionState =
  | {
      open: true;
      /** The China date of the session. */
      tradeDate: string;
      /** The end of the part of the session in progress (the lunch break or the day's close). */
      pausesAt: number;
      /** The day's close: the end of its last session. */
      closesAt: number;
    }
  | {
      open: false;
      /** The China date of the instant asked about. */
      tradeDate: string;
      /** The next session's start; null when `openDates` holds no later open day. */
      opensAt: number | null;
    };

/**
 * Whether `nowMs` is inside the equity session of an open trade date. A session runs from its open
 * up to (not including) its end, so 15:00:00 is already closed; the 09:30 auction bar's minute
 * (09:29–09:30) counts, as the sessions table has it. `openDates` must reach past today for the
 * next opening to be found.
 */
export function equitySession(
  nowMs: number,
  openDates: readonly string[],
  sessions: readonly Session[] = EQUITY_SESSIONS,
): SessionState {
  const today = chinaDate(nowMs);
  const open = new Set(openDates);
  const spans = (ymd: string) =>
    sessions
      .filter((s) => !s.night)
      .map((s) => ({ start: chinaInstant(ymd, s.open), end: chinaInstant(ymd, s.open + s.minutes) }))
      .sort((a, b) => a.start - b.start);
  if (open.has(today)) {
    const day = spans(today);
    const closesAt = Math.max(...day.map((s) => s.end));
    const current = day.find((s) => nowMs >= s.start && nowMs < s.end);
    if (current !== undefined) return { open: true, tradeDate: today, pausesAt: current.end, closesAt };
    const later = day.find((s) => s.start > nowMs);
    if (later !== undefined) return { open: false, tradeDate: today, opensAt: later.start };
  }
  const next = [...open].filter((d) => d > today).sort()[0];
  const first = next === undefined ? undefined : spans(next)[0];
  return { open: false, tradeDate: today, opensAt: first?.start ?? null };
}

export type FollowStep = { action: 'run' } | { action: 'wait'; until: number } | { action: 'stop' };

/**
 * What `--follow` does next at `nowMs`, having started on `day`: run inside the session, wait out
 * the lunch break of the same day, and stop at the day's close (or on any other day).
 */
export function followStep(nowMs: number, day: string, openDates: readonly string[]): FollowStep {
  const state = equitySession(nowMs, openDates);
  if (state.open) return state.tradeDate === day ? { action: 'run' } : { action: 'stop' };
  if (state.opensAt !== null && chinaDate(state.opensAt) === day)
    return { action: 'wait', until: state.opensAt };
  return { action: 'stop' };
}

/** The calendar range to read before deciding: today and the weeks after (a holiday week included). */
export const calendarAhead = (today: string): { from: string; to: string } => ({
  from: today,
  to: addDays(today, 31),
});

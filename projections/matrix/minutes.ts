import type { AssetClass } from '../../contracts/catalog/index.js';
import { fetchesAt, type GrayModule, type GrayStage, grayMembers } from '../../contracts/gray.js';
import { barsPerDay, FUTURES_SESSIONS, freqMinutes, sessionsOf } from '../../contracts/sessions.js';
import type { GrayHistoryEntry } from '../reducers/gray.js';
import { inForceOn } from './as-of.js';

/**
 * The pure side of the minute modules of the status matrix: how many bars an instrument-day owes
 * (contracts/sessions.ts) and which instruments owe them on a day (the module's gray stage then).
 */

/**
 * Bars one instrument owes on a trading day at `freq`: its sessions (a futures night session
 * belongs to the next open day, so it is part of that day's count) cut at the frequency. Null
 * when the sessions are unknown (a futures exchange the table does not hold) or the frequency is
 * not a minute one: nothing can be expected of such an instrument.
 */
export function expectedBars(assetClass: string, exchange: string | null, freq: string): number | null {
  const sessions = sessionsOf(assetClass, exchange ?? undefined);
  const minutes = freqMinutes(freq);
  if (sessions === undefined || minutes === undefined) return null;
  return barsPerDay(sessions, minutes);
}

/**
 * The bars per day of every exchange an asset class trades on, for the database to join on an
 * instrument's exchange: futures by exchange, the others one row for any exchange (null).
 */
export function barsByExchange(
  assetClass: AssetClass,
  freq: string,
): { exchange: string | null; bars: number }[] {
  if (assetClass === 'futures') {
    return Object.keys(FUTURES_SESSIONS).flatMap((exchange) => {
      const bars = expectedBars(assetClass, exchange, freq);
      return bars === null ? [] : [{ exchange, bars }];
    });
  }
  const bars = expectedBars(assetClass, null, freq);
  return bars === null ? [] : [{ exchange: null, bars }];
}

/** What a day of a minute module is judged by: a fetching stage, or why nothing was fetched. */
export type GrayDay =
  | {
      fetches: true;
      stage: GrayStage;
      /** The GrayStageChanged this day is judged by. */
      entry: GrayHistoryEntry;
      /** `in_force`: the stage of the day; `backfill`: the module's first fetching stage (see grayDay). */
      rule: 'in_force' | 'backfill';
    }
  | { fetches: false; stage: GrayStage | null; reason: string };

/**
 * The stage a minute module's trading day is judged by. A day is judged by the stage in force at
 * the end of it (the same rule as the flags, as-of.ts): a promotion fetches its new members
 * from then on and never the days before, a rollback keeps the days it had. The exception is the
 * history before the module's first fetching stage: the first run of that stage finds no cursor
 * and fetches from the start of the history range, so those days are judged by that stage.
 * `history` in offset order, every module's.
 */
export function grayDay(history: readonly GrayHistoryEntry[], module: GrayModule, date: string): GrayDay {
  const own = history.filter((e) => e.module === module);
  const inForce = inForceOn(own, date);
  const firstFetch = own.find((e) => fetchesAt(e.stage));
  if (firstFetch !== undefined && (inForce === undefined || inForce.offset < firstFetch.offset)) {
    return { fetches: true, stage: firstFetch.stage, entry: firstFetch, rule: 'backfill' };
  }
  if (inForce === undefined) return { fetches: false, stage: null, reason: 'gray release not started' };
  if (!fetchesAt(inForce.stage)) {
    return {
      fetches: false,
      stage: inForce.stage,
      reason: `gray stage ${inForce.stage}: nothing is fetched`,
    };
  }
  return { fetches: true, stage: inForce.stage, entry: inForce, rule: 'in_force' };
}

/**
 * The members of `pool` a stage fetched, by what its GrayStageChanged recorded: its allow-list
 * (an allow-list canary) or its share; the same draw as the daily job's (contracts/gray.ts).
 */
export function grayPoolOf(module: GrayModule, entry: GrayHistoryEntry, pool: readonly string[]): string[] {
  return grayMembers(module, entry.stage, pool, {
    canaryShare: entry.share,
    ...(entry.allowList.length > 0 && { canaryCodes: entry.allowList }),
  });
}

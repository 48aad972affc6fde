import { endpoint } from '../../contracts/catalog/index.js';
import { TABLES, type TableName } from '../../contracts/normalized/tables.js';
import { freqMinutes, tradingDayOf } from '../../contracts/sessions.js';
import { contentHash } from './hash.js';
import { constant, derive, readRow, type Source, tablePlan } from './plan.js';
import type { EndpointNormalizer } from './types.js';
import { isoDate, type RawRow } from './values.js';

/**
 * Minute bars (history and realtime) → minute_bar, realtime day-bar snapshots → realtime_quote.
 *
 * Times are China time as served; a bar is stored at its instant (`…+08:00`), with the trading day
 * it belongs to beside it (contracts/sessions.ts: a futures night session belongs to the next
 * trading day). The frequency is in no column: it is the request's `freq`, read from the raw
 * envelope; a record without it (written before the envelope carried params) is poison, because a
 * key without its frequency could merge a 1-minute bar with a 5-minute one.
 */
const INTRADAY: Readonly<Record<string, { table: TableName; time: string; provisional?: boolean }>> = {
  stk_mins: { table: 'minute_bar', time: 'trade_time' },
  idx_mins: { table: 'minute_bar', time: 'trade_time' },
  ft_mins: { table: 'minute_bar', time: 'trade_time' },
  rt_min: { table: 'minute_bar', time: 'time', provisional: true },
  rt_idx_min: { table: 'minute_bar', time: 'time', provisional: true },
  rt_etf_k: { table: 'realtime_quote', time: 'trade_time' },
  rt_idx_k: { table: 'realtime_quote', time: 'trade_time' },
};

export const INTRADAY_APIS = Object.keys(INTRADAY);

const instantOf = (ymd: string, clock: string): string => `${isoDate(ymd) as string}T${clock}+08:00`;

/** Lower-case `Nmin` from a request's freq (`1min`, `5MIN`); anything else is poison. */
function freqOf(row: RawRow): string {
  const freq = row.param('freq');
  const minutes = freqMinutes(freq);
  if (minutes === undefined) row.fail(`request param freq '${freq.slice(0, 16)}' is not a minute frequency`);
  return `${minutes}min`;
}

export function intradayNormalizer(apiName: string): EndpointNormalizer {
  const entry = INTRADAY[apiName];
  if (!entry) throw new Error(`${apiName} is not an intraday endpoint`);
  const spec = endpoint(apiName);
  const { time } = entry;
  const overrides: Record<string, Source> = {
    asset_class: constant(spec.assetClass),
    trade_time: derive([time], (row) => {
      const at = row.chinaTime(time);
      return at === null ? null : instantOf(at.ymd, at.clock);
    }),
    trade_date: derive([time], (row) => {
      const at = row.chinaTime(time);
      return at === null ? null : (isoDate(tradingDayOf(spec.assetClass, at.ymd, at.clock)) as string);
    }),
  };
  if (entry.table === 'minute_bar') {
    overrides.freq = derive([], freqOf);
    overrides.provisional = constant(entry.provisional === true);
  }
  const plan = tablePlan(spec, TABLES[entry.table], overrides);
  return (row) => {
    const values = readRow(plan, row);
    return [
      {
        table: entry.table,
        values: { ...values, content_hash: contentHash([{ table: entry.table, values }]) },
      },
    ];
  };
}

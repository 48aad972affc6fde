import type { AssetClass } from '../../contracts/catalog/index.js';
import { barsByExchange } from './minutes.js';
import { listedOn, type Queryable, suspendedOn, yyyymmdd } from './sql.js';

/**
 * The minute modules' reads. A bar counts once it is a history bar (not a provisional realtime
 * one, which the history replaces) of the measured frequency, on the trading day it belongs to
 * (minute_bar.trade_date: a futures night session is the next open day's). An instrument-day's
 * stored bars count up to what it owes, so a stray bar never hides a missing one.
 */

/** $1 asset class, $2 freq, $3 members, $4/$5 bars per exchange (null: any), $6 days (YYYYMMDD[]). */
const OWED_AND_STORED = `
  days AS (SELECT to_date(d, 'YYYYMMDD') AS day FROM unnest($6::text[]) AS d),
  bars AS (SELECT * FROM unnest($4::text[], $5::int[]) AS b(exchange, n)),
  owed AS (
    SELECT d.day, i.ts_code, b.n, ${suspendedOn('i.asset_class', 'i.ts_code', 'd.day')} AS suspended
    FROM instrument i
    JOIN days d ON ${listedOn('i', 'd.day')}
    JOIN bars b ON b.exchange IS NULL OR b.exchange = i.exchange
    WHERE i.asset_class = $1 AND i.ts_code = ANY($3::text[])
  ),
  stored AS (
    SELECT trade_date AS day, ts_code, count(*)::int AS n
    FROM minute_bar
    WHERE asset_class = $1 AND freq = $2 AND NOT provisional
      AND trade_date IN (SELECT day FROM days) AND ts_code = ANY($3::text[])
    GROUP BY trade_date, ts_code
  )`;

function owedParams(q: {
  assetClass: AssetClass;
  freq: string;
  members: readonly string[];
  dates: readonly string[];
}): unknown[] {
  const bars = barsByExchange(q.assetClass, q.freq);
  return [
    q.assetClass,
    q.freq,
    [...q.members],
    bars.map((b) => b.exchange),
    bars.map((b) => b.bars),
    [...q.dates],
  ];
}

export interface MinuteUniverseRow {
  trade_date: string;
  /** Bars the members listed and not suspended owe that day. */
  expected: number;
  got: number;
  instruments: number;
  /** Instruments with fewer bars stored than they owe. */
  short: number;
  suspended: number;
}

/** Per day: bars owed by the members listed that day (suspended stocks owe none), and stored. One statement. */
export async function readMinuteUniverse(
  db: Queryable,
  q: { assetClass: AssetClass; freq: string; members: readonly string[]; dates: readonly string[] },
): Promise<Map<string, MinuteUniverseRow>> {
  if (q.dates.length === 0 || q.members.length === 0) return new Map();
  const { rows } = await db.query<MinuteUniverseRow>(
    `WITH ${OWED_AND_STORED}
     SELECT to_char(o.day, 'YYYYMMDD') AS trade_date,
            coalesce(sum(o.n) FILTER (WHERE NOT o.suspended), 0)::int AS expected,
            coalesce(sum(least(coalesce(s.n, 0), o.n)) FILTER (WHERE NOT o.suspended), 0)::int AS got,
            count(*) FILTER (WHERE NOT o.suspended)::int AS instruments,
            count(*) FILTER (WHERE NOT o.suspended AND coalesce(s.n, 0) < o.n)::int AS short,
            count(*) FILTER (WHERE o.suspended)::int AS suspended
     FROM owed o LEFT JOIN stored s ON s.day = o.day AND s.ts_code = o.ts_code
     GROUP BY o.day`,
    owedParams(q),
  );
  return new Map(rows.map((r) => [r.trade_date, r]));
}

export interface MinuteShortRow {
  ts_code: string;
  expected: number;
  got: number;
  /** Every instrument short that day, whatever the limit. */
  total: number;
}

/** The members owing bars on a day that lack some, in code order, at most `limit`. */
export async function readMinuteShortfall(
  db: Queryable,
  q: { assetClass: AssetClass; freq: string; members: readonly string[]; date: string; limit: number },
): Promise<MinuteShortRow[]> {
  if (q.members.length === 0) return [];
  const { rows } = await db.query<MinuteShortRow>(
    `WITH ${OWED_AND_STORED}
     SELECT o.ts_code, o.n AS expected, least(coalesce(s.n, 0), o.n)::int AS got, count(*) OVER ()::int AS total
     FROM owed o LEFT JOIN stored s ON s.day = o.day AND s.ts_code = o.ts_code
     WHERE NOT o.suspended AND coalesce(s.n, 0) < o.n
     ORDER BY o.ts_code
     LIMIT $7`,
    [...owedParams({ ...q, dates: [q.date] }), q.limit],
  );
  return rows;
}

export interface MinuteSymbolRow {
  ts_code: string;
  trade_date: string;
  /** Null when the target is not an instrument of the module's asset class. */
  listed: boolean | null;
  exchange: string | null;
  suspended: boolean;
  /** History bars of the measured frequency stored for the day. */
  got: number;
}

/** Per target and calendar day: listing, exchange, suspension and stored bars. One statement. */
export async function readMinuteSymbols(
  db: Queryable,
  q: { assetClass: AssetClass; freq: string; targets: readonly string[]; from: string; to: string },
): Promise<MinuteSymbolRow[]> {
  const { rows } = await db.query<MinuteSymbolRow>(
    `WITH days AS (
       SELECT d::date AS day FROM generate_series(${yyyymmdd('$1')}, ${yyyymmdd('$2')}, interval '1 day') AS d
     ),
     targets AS (SELECT DISTINCT unnest($4::text[]) AS ts_code),
     stored AS (
       SELECT trade_date AS day, ts_code, count(*)::int AS n
       FROM minute_bar
       WHERE asset_class = $3 AND freq = $5 AND NOT provisional
         AND trade_date BETWEEN ${yyyymmdd('$1')} AND ${yyyymmdd('$2')} AND ts_code = ANY($4::text[])
       GROUP BY trade_date, ts_code
     )
     SELECT t.ts_code, to_char(d.day, 'YYYYMMDD') AS trade_date,
            CASE WHEN i.ts_code IS NULL THEN NULL ELSE ${listedOn('i', 'd.day')} END AS listed,
            i.exchange, ${suspendedOn('$3::text', 't.ts_code', 'd.day')} AS suspended,
            coalesce(s.n, 0) AS got
     FROM targets t CROSS JOIN days d
     LEFT JOIN instrument i ON i.asset_class = $3 AND i.ts_code = t.ts_code
     LEFT JOIN stored s ON s.day = d.day AND s.ts_code = t.ts_code
     ORDER BY t.ts_code, d.day`,
    [q.from, q.to, q.assetClass, [...q.targets], q.freq],
  );
  return rows;
}

/** Whether the exchange's market opened on each day; absent: the calendar has no such day. */
export async function readOpenDays(
  db: Queryable,
  q: { exchange: string; from: string; to: string },
): Promise<Map<string, boolean>> {
  const { rows } = await db.query<{ day: string; is_open: boolean }>(
    `SELECT to_char(cal_date, 'YYYYMMDD') AS day, is_open FROM trade_calendar
     WHERE exchange = $1 AND cal_date BETWEEN ${yyyymmdd('$2')} AND ${yyyymmdd('$3')}`,
    [q.exchange, q.from, q.to],
  );
  return new Map(rows.map((r) => [r.day, r.is_open]));
}

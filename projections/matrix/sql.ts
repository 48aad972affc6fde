import type pg from 'pg';
import { DELIST_DATE_IS_LAST_TRADING_DAY, type MatrixModule, type StorageTable } from './modules.js';

/** A pool or a client: the readers only query. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/**
 * The listing rule, once, in SQL (see modules.ts for why futures differ). `i` is an instrument row,
 * `day` a date expression.
 */
export function listedOn(i: string, day: string): string {
  const lastDayClasses = DELIST_DATE_IS_LAST_TRADING_DAY.map((c) => `'${c}'`).join(', ');
  return `((${i}.list_date IS NULL OR ${i}.list_date <= ${day})
    AND (${i}.delist_date IS NULL OR ${day} < ${i}.delist_date
         OR (${i}.asset_class IN (${lastDayClasses}) AND ${day} = ${i}.delist_date)))`;
}

export const yyyymmdd = (param: string) => `to_date(${param}, 'YYYYMMDD')`;

/**
 * A stock suspended for the whole day (suspend_d: type S, no intraday window): the market serves
 * no bar for it, so it is expected nowhere. `cls` is the instrument's asset class expression.
 */
export function suspendedOn(cls: string, code: string, day: string): string {
  return `(${cls} = 'stock' AND EXISTS (
    SELECT 1 FROM suspension sp
    WHERE sp.ts_code = ${code} AND sp.trade_date = ${day} AND sp.suspend_type = 'S' AND sp.suspend_timing IS NULL))`;
}

/**
 * Stored rows of the requested modules as (module, asset_class, ts_code, day). Table names come from the fixed
 * StorageTable set, never from input.
 */
function storedRows(modules: readonly MatrixModule[], extraWhere: string): string {
  const tables = [...new Set(modules.map((m) => m.table))];
  return tables
    .map((table: StorageTable) => {
      const classJoin = table === 'market_bar' ? ' AND m.asset_class = t.asset_class' : '';
      return `SELECT m.module, m.asset_class, t.ts_code, t.trade_date AS day
        FROM ${table} t JOIN mods m ON m.tbl = '${table}'${classJoin}
        WHERE t.trade_date BETWEEN ${yyyymmdd('$1')} AND ${yyyymmdd('$2')}${extraWhere}`;
    })
    .join('\n      UNION ALL ');
}

const MODS_AND_DAYS = `
  mods AS (
    SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS m(module, asset_class, tbl, cal_exchange)
  ),
  days AS (
    SELECT d::date AS day
    FROM generate_series(${yyyymmdd('$1')}, ${yyyymmdd('$2')}, interval '1 day') AS d
  )`;

function moduleParams(modules: readonly MatrixModule[], calendarExchange: string): unknown[] {
  return [
    modules.map((m) => m.module),
    modules.map((m) => m.assetClass),
    modules.map((m) => m.table),
    modules.map((m) => (m.calendar === 'exchange' ? calendarExchange : null)),
  ];
}

export interface UniverseCountRow {
  module: string;
  trade_date: string;
  /** Null when the calendar has no row for the day (or the module follows no exchange calendar). */
  is_open: boolean | null;
  expected: number;
  got: number;
  unlisted: number;
  /** Listed stocks suspended all day: expected nowhere, so left out of `expected`. */
  suspended: number;
  /** Stored rows of the day a later fetch changed (publication_revision). */
  revisions: number;
}

/**
 * Per module and calendar day: instruments listed, stored rows of those, stored rows of others.
 * One statement for the whole range, grouped in the database; stored rows are checked against
 * their own instrument's listing rather than joined to a listed-instruments × days table.
 */
export async function readUniverseCounts(
  db: Queryable,
  q: {
    modules: readonly MatrixModule[];
    from: string;
    to: string;
    calendarExchange: string;
    pools?: MatrixPools;
  },
): Promise<UniverseCountRow[]> {
  const pools = poolParams(q.modules, q.pools);
  const sql = `WITH ${MODS_AND_DAYS}, ${POOLS},
  expected AS (
    SELECT i.asset_class, d.day,
           count(*) FILTER (WHERE NOT ${suspendedOn('i.asset_class', 'i.ts_code', 'd.day')})::int AS n,
           count(*) FILTER (WHERE ${suspendedOn('i.asset_class', 'i.ts_code', 'd.day')})::int AS suspended
    FROM instrument i
    JOIN days d ON ${listedOn('i', 'd.day')}
    WHERE i.asset_class IN (SELECT asset_class FROM mods)
    GROUP BY i.asset_class, d.day
  ),
  expected_in_pool AS (
    SELECT p.module, d.day, count(*)::int AS n
    FROM pool p
    JOIN mods m ON m.module = p.module
    JOIN instrument i ON i.asset_class = m.asset_class AND i.ts_code = p.ts_code
    JOIN days d ON ${listedOn('i', 'd.day')}
    GROUP BY p.module, d.day
  ),
  stored AS (
    ${storedRows(q.modules, '')}
  ),
  matched AS (
    SELECT s.module, s.day,
           count(*) FILTER (WHERE i.ts_code IS NOT NULL AND ${listedOn('i', 's.day')}
                              AND NOT ${suspendedOn('i.asset_class', 'i.ts_code', 's.day')})::int AS got,
           count(*) FILTER (WHERE i.ts_code IS NULL OR NOT ${listedOn('i', 's.day')})::int AS unlisted
    FROM stored s
    LEFT JOIN instrument i ON i.asset_class = s.asset_class AND i.ts_code = s.ts_code
    WHERE s.module NOT IN (SELECT module FROM pooled)
       OR EXISTS (SELECT 1 FROM pool p WHERE p.module = s.module AND p.ts_code = s.ts_code)
    GROUP BY s.module, s.day
  )
  SELECT m.module, to_char(d.day, 'YYYYMMDD') AS trade_date, c.is_open,
         CASE WHEN m.module IN (SELECT module FROM pooled) THEN coalesce(ep.n, 0) ELSE coalesce(e.n, 0) END
           AS expected,
         coalesce(x.got, 0) AS got, coalesce(x.unlisted, 0) AS unlisted,
         coalesce(e.suspended, 0) AS suspended,
         coalesce(r.revisions, 0) AS revisions
  FROM mods m CROSS JOIN days d
  LEFT JOIN trade_calendar c ON c.exchange = m.cal_exchange AND c.cal_date = d.day
  LEFT JOIN expected e ON e.asset_class = m.asset_class AND e.day = d.day
  LEFT JOIN expected_in_pool ep ON ep.module = m.module AND ep.day = d.day
  LEFT JOIN matched x ON x.module = m.module AND x.day = d.day
  LEFT JOIN publication_revision r ON r.api_name = m.module AND r.trade_date = d.day
  ORDER BY m.module, d.day`;
  const { rows } = await db.query<UniverseCountRow>(sql, [
    q.from,
    q.to,
    ...moduleParams(q.modules, q.calendarExchange),
    ...pools,
  ]);
  return rows;
}

/**
 * Symbol pools by module: a module with a pool (the FX whitelist, the index_daily pool) is measured
 * against its pool's instruments, not every listed instrument of its asset class.
 */
export type MatrixPools = Readonly<Partial<Record<string, readonly string[]>>>;

/** $7 the pooled modules, $8/$9 (module, ts_code) pairs of their pools. */
const POOLS = `
  pooled AS (SELECT unnest($7::text[]) AS module),
  pool AS (SELECT * FROM unnest($8::text[], $9::text[]) AS p(module, ts_code))`;

function poolParams(modules: readonly MatrixModule[], pools: MatrixPools = {}): unknown[] {
  const pooled = modules.map((m) => m.module).filter((name) => pools[name] !== undefined);
  const pairs = pooled.flatMap((name) => (pools[name] ?? []).map((code) => [name, code] as const));
  return [pooled, pairs.map(([name]) => name), pairs.map(([, code]) => code)];
}

export interface SymbolCellRow {
  module: string;
  ts_code: string;
  trade_date: string;
  is_open: boolean | null;
  /** Null when the target is not an instrument of the module's asset class. */
  listed: boolean | null;
  got: boolean;
  suspended: boolean;
}

/** Per target, module and calendar day: listing and whether a row is stored. One statement. */
export async function readSymbolCells(
  db: Queryable,
  q: {
    modules: readonly MatrixModule[];
    targets: readonly string[];
    from: string;
    to: string;
    calendarExchange: string;
  },
): Promise<SymbolCellRow[]> {
  const sql = `WITH ${MODS_AND_DAYS},
  targets AS (SELECT DISTINCT unnest($7::text[]) AS ts_code),
  stored AS (
    ${storedRows(q.modules, ' AND t.ts_code = ANY($7::text[])')}
  )
  SELECT m.module, t.ts_code, to_char(d.day, 'YYYYMMDD') AS trade_date, c.is_open,
         CASE WHEN i.ts_code IS NULL THEN NULL ELSE ${listedOn('i', 'd.day')} END AS listed,
         (s.ts_code IS NOT NULL) AS got,
         ${suspendedOn('m.asset_class', 't.ts_code', 'd.day')} AS suspended
  FROM mods m CROSS JOIN targets t CROSS JOIN days d
  LEFT JOIN instrument i ON i.asset_class = m.asset_class AND i.ts_code = t.ts_code
  LEFT JOIN trade_calendar c ON c.exchange = m.cal_exchange AND c.cal_date = d.day
  LEFT JOIN stored s ON s.module = m.module AND s.ts_code = t.ts_code AND s.day = d.day
  ORDER BY t.ts_code, m.module, d.day`;
  const { rows } = await db.query<SymbolCellRow>(sql, [
    q.from,
    q.to,
    ...moduleParams(q.modules, q.calendarExchange),
    q.targets,
  ]);
  return rows;
}

/** Up to `limit` ts_codes listed on the day with no stored row for the module, in code order. */
export async function readMissingSample(
  db: Queryable,
  q: { module: MatrixModule; tradeDate: string; limit: number; pool?: readonly string[] },
): Promise<string[]> {
  const day = yyyymmdd('$2');
  const classMatch = q.module.table === 'market_bar' ? ' AND s.asset_class = i.asset_class' : '';
  const { rows } = await db.query<{ ts_code: string }>(
    `SELECT i.ts_code FROM instrument i
     WHERE i.asset_class = $1 AND ${listedOn('i', day)}
       AND ($4::text[] IS NULL OR i.ts_code = ANY($4::text[]))
       AND NOT ${suspendedOn('i.asset_class', 'i.ts_code', day)}
       AND NOT EXISTS (
         SELECT 1 FROM ${q.module.table} s
         WHERE s.ts_code = i.ts_code AND s.trade_date = ${day}${classMatch}
       )
     ORDER BY i.ts_code
     LIMIT $3`,
    [q.module.assetClass, q.tradeDate, q.limit, q.pool === undefined ? null : [...q.pool]],
  );
  return rows.map((r) => r.ts_code);
}

export interface RevisionRow {
  revisions: number;
  first_revised_at: Date;
  last_revised_at: Date;
}

/** How often stored rows of one endpoint and day were revised, and when; null when never. */
export async function readRevisions(
  db: Queryable,
  q: { module: string; tradeDate: string },
): Promise<RevisionRow | null> {
  const { rows } = await db.query<RevisionRow>(
    `SELECT revisions, first_revised_at, last_revised_at FROM publication_revision
     WHERE api_name = $1 AND trade_date = ${yyyymmdd('$2')}`,
    [q.module, q.tradeDate],
  );
  return rows[0] ?? null;
}

export interface QuotaStopRow {
  module: string;
  window: 'hour' | 'day';
  limit: number;
  blocked_until: Date;
}

/**
 * Modules an hour or day quota stops now (tushare_budget, the projection of CallBudgetLearned):
 * no call of them is made before `blocked_until`, whatever the matrix shows as missing meanwhile.
 */
export async function readQuotaStops(db: Queryable, modules: readonly string[]): Promise<QuotaStopRow[]> {
  const { rows } = await db.query<QuotaStopRow>(
    `SELECT api_name AS module, rate_window AS window, max(call_limit)::int AS limit, max(blocked_until) AS blocked_until
     FROM tushare_budget
     WHERE api_name = ANY($1::text[]) AND rate_window IN ('hour', 'day') AND blocked_until > now()
     GROUP BY api_name, rate_window
     ORDER BY api_name, rate_window`,
    [modules],
  );
  return rows;
}

/** The ts_codes among `codes` that no instrument row has, in any asset class. */
export async function readUnknownCodes(db: Queryable, codes: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ ts_code: string }>(
    `SELECT c AS ts_code FROM unnest($1::text[]) AS c
     WHERE NOT EXISTS (SELECT 1 FROM instrument i WHERE i.ts_code = c)
     ORDER BY c`,
    [codes],
  );
  return rows.map((r) => r.ts_code);
}

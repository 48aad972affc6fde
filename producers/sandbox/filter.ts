import { type ApiName, endpoint } from '../../contracts/catalog/index.js';
import type { EndpointSpec, ParamSpec } from '../../contracts/catalog/types.js';
import { type ConfigIssue, ValidationError } from '../../contracts/errors.js';
import { FUTURES_EXCHANGE_SUFFIX } from '../../contracts/sessions.js';
import type { WireRow } from './dataset.js';

/**
 * How a dataset reads Tushare request params, shared by the synthetic market and recorded folders so
 * both answer the same query the same way. Everything is derived from the endpoint's catalog entry:
 *
 * - a param named like one of the endpoint's columns filters on equality (`trade_date`, `exchange`,
 *   `list_status`, `market`, `is_open`, `symbol`, …); `ts_code`, and params whose catalog doc says
 *   "comma list", take comma lists; `ts_code` also takes `*` wildcards (`5*.SH`, as the realtime
 *   endpoints do);
 * - `start_*` / `end_*` bound the endpoint's time column inclusively (`start_date`/`end_date` on the
 *   trade or calendar date, `start_m`/`end_m` on the month, `start_q`/`end_q` on the quarter); for a
 *   datetime column a bare date bound covers the whole day; `m` and `q` pick periods;
 * - a param the catalog marks "(default)" in its doc takes that default when absent (`list_status` L,
 *   `fund_basic` market E, `trade_cal` exchange SSE, `index_basic` market SSE);
 * - a few params whose meaning is not a column: `exchange` on an endpoint without that column picks
 *   futures by ts_code suffix; `fut_type` 1/2 = ordinary contracts / main and continuous ones;
 *   `fut_basic`'s `list_date` means "listed on or after"; `symbol` also matches a product code
 *   against contract symbols (`CU` matches `CU2401`); `freq` must be one the catalog doc lists;
 * - params the endpoint does not declare are ignored, as Tushare does; `fields`, `limit`, `offset`
 *   belong to the HTTP layer;
 * - a whole-market endpoint (`fetchMode` trade_date) asked with no code, symbol or date answers the
 *   latest date it holds, not its whole history.
 *
 * Answers are ordered newest first on the time column, then ascending on the rest of the natural
 * key; reference data without a time column ascends on its natural key.
 */

export type ParamValues = Readonly<Record<string, string | number>>;

/** Inclusive bounds on the endpoint's time column, in that column's own text format. */
export interface TimeBounds {
  readonly column: string;
  readonly from: string | null;
  readonly to: string | null;
}

export interface Query {
  readonly apiName: ApiName;
  readonly spec: EndpointSpec;
  /** The effective params (defaults applied, protocol params dropped), as strings. */
  readonly params: Readonly<Record<string, string>>;
  readonly time: TimeBounds | null;
  /** The exact ts_code list asked for; null when unrestricted or given with wildcards. */
  readonly codes: readonly string[] | null;
  /** Whether a ts_code passes the ts_code param (true for every code when there is none). */
  readonly codeMatches: (code: string) => boolean;
  /** The bar frequency, for minute endpoints. */
  readonly freq: string | null;
  /** No code, symbol or date on a whole-market endpoint: answer only the latest date. */
  readonly latestOnly: boolean;
  readonly predicates: readonly ((row: WireRow) => boolean)[];
  /** Filters on a column the rows do not have (see `parseQuery`'s `columns`), and what was done. */
  readonly absent: readonly AbsentColumn[];
}

/** A param that filters on a column a recorded file lacks. */
export interface AbsentColumn {
  param: string;
  column: string;
  value: string;
  /** The param's default: rows without the column are taken to hold it. Null: none, not filtered. */
  assumed: string | null;
}

const PROTOCOL_PARAMS = new Set(['fields', 'limit', 'offset']);
const YMD = /^\d{8}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const DASHED_DATE = /^\d{4}-\d{2}-\d{2}$/;

const wire = (spec: EndpointSpec, name: string): string | undefined => {
  const field = spec.fields.find((f) => f.name === name);
  return field === undefined ? undefined : (field.tushareName ?? field.name);
};

function isRealYmd(text: string): boolean {
  if (!YMD.test(text)) return false;
  const d = new Date(
    Date.UTC(Number(text.slice(0, 4)), Number(text.slice(4, 6)) - 1, Number(text.slice(6, 8))),
  );
  return d.getUTCDate() === Number(text.slice(6, 8)) && d.getUTCMonth() + 1 === Number(text.slice(4, 6));
}

/** The value a param's catalog doc marks "(default)", e.g. `'L listed (default), D delisted'` → L. */
export function paramDefault(param: ParamSpec): string | undefined {
  for (const part of (param.doc ?? '').split(/[,;]/)) {
    if (part.includes('(default)')) return part.trim().split(/\s+/)[0];
  }
  return undefined;
}

/** The frequencies a `freq` param's catalog doc lists, e.g. `1min, 5min … or 60min`. */
export function allowedFreqs(param: ParamSpec): readonly string[] {
  return (param.doc ?? '').match(/\b\d+min\b/gi) ?? [];
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

const splitList = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * Reads and checks the params of one call; throws `ValidationError` naming each bad param.
 *
 * `columns`, when given, are the columns the rows really have (a recorded file's header). Older
 * Tushare output lacks some that today's params filter on (a 2019 `stock_basic` has no
 * `list_status`): such rows are taken to hold the param's default, which is what Tushare answered
 * them for (so `list_status=L` serves them all, unfiltered, and `D` none), and a param without a
 * default does not filter them at all. Each case is listed in `absent`, for a warning.
 */
export function parseQuery(apiName: ApiName, params: ParamValues, columns?: ReadonlySet<string>): Query {
  const spec = endpoint(apiName);
  const issues: ConfigIssue[] = [];
  const given: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (PROTOCOL_PARAMS.has(key)) continue;
    const text = String(value).trim();
    if (text !== '') given[key] = text;
  }
  const effective: Record<string, string> = {};
  for (const param of spec.params) {
    const value = given[param.name] ?? paramDefault(param);
    if (value === undefined) {
      if (param.required) issues.push({ path: param.name, message: 'required' });
      continue;
    }
    effective[param.name] = value;
  }

  const timeColumn = spec.timeField === undefined ? undefined : wire(spec, spec.timeField);
  const timeType = spec.fields.find((f) => f.name === spec.timeField)?.type;
  const bounds: { from: string | null; to: string | null } = { from: null, to: null };
  const narrow = (lo: string | null, hi: string | null) => {
    if (lo !== null && (bounds.from === null || lo > bounds.from)) bounds.from = lo;
    if (hi !== null && (bounds.to === null || hi < bounds.to)) bounds.to = hi;
  };
  const predicates: ((row: WireRow) => boolean)[] = [];
  let codes: string[] | null = null;
  let codeMatches: (code: string) => boolean = () => true;
  let freq: string | null = null;
  const absent: AbsentColumn[] = [];

  /** A bound param in the time column's format; a bare date on a datetime column covers the day. */
  const bound = (param: ParamSpec, value: string, end: 'from' | 'to'): string | undefined => {
    if (timeType === 'datetime') {
      if (DATETIME.test(value)) return value;
      const day = YMD.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` : value;
      if (DASHED_DATE.test(day) && isRealYmd(day.replaceAll('-', '')))
        return `${day} ${end === 'from' ? '00:00:00' : '23:59:59'}`;
      issues.push({ path: param.name, message: 'expected YYYY-MM-DD HH:MM:SS or YYYYMMDD' });
      return undefined;
    }
    return value;
  };

  for (const param of spec.params) {
    const value = effective[param.name];
    if (value === undefined) continue;
    if (param.type === 'date' && !isRealYmd(value)) {
      issues.push({ path: param.name, message: 'expected a YYYYMMDD date' });
      continue;
    }
    const name = param.name;
    const column = wire(spec, name);

    if (name === 'freq') {
      const allowed = allowedFreqs(param);
      if (allowed.length > 0 && !allowed.includes(value)) {
        issues.push({ path: name, message: `expected one of ${allowed.join(', ')}` });
        continue;
      }
      freq = value;
      // A recorded minute file may carry the frequency as an extra column.
      predicates.push((row) => row.freq === undefined || row.freq === null || String(row.freq) === value);
      continue;
    }
    if (name === 'ts_code') {
      const list = splitList(value);
      if (list.some((c) => c.includes('*'))) {
        const patterns = list.map(globToRegExp);
        codeMatches = (code) => patterns.some((p) => p.test(code));
      } else {
        codes = list;
        const set = new Set(list);
        codeMatches = (code) => set.has(code);
      }
      const col = column ?? 'ts_code';
      const matcher = codeMatches;
      predicates.push((row) => matcher(String(row[col] ?? '')));
      continue;
    }
    const rangeEnd = /^start_/.test(name) ? 'from' : /^end_/.test(name) ? 'to' : undefined;
    if (rangeEnd !== undefined && timeColumn !== undefined) {
      const b = bound(param, value, rangeEnd);
      if (b !== undefined) narrow(rangeEnd === 'from' ? b : null, rangeEnd === 'to' ? b : null);
      continue;
    }
    if ((name === 'm' || name === 'q') && timeColumn !== undefined) {
      const list = splitList(value);
      const set = new Set(list);
      const sorted = [...list].sort();
      narrow(sorted[0] ?? null, sorted[sorted.length - 1] ?? null);
      predicates.push((row) => set.has(String(row[timeColumn] ?? '')));
      continue;
    }
    if (name === 'list_date' && spec.timeField === undefined && column !== undefined) {
      // fut_basic: "contracts listed on or after this date".
      predicates.push((row) => String(row[column] ?? '') >= value);
      continue;
    }
    if (name === 'fut_type') {
      // Ordinary contracts carry a delivery month in their code (CU2401.SHF); main and continuous
      // ones do not (CU.SHF, CUL.SHF).
      const ordinary = value === '1';
      predicates.push((row) => /\d/.test(String(row.ts_code ?? '').split('.')[0] ?? '') === ordinary);
      continue;
    }
    if (name === 'exchange' && column === undefined && wire(spec, 'ts_code') !== undefined) {
      const suffix = FUTURES_EXCHANGE_SUFFIX[value];
      predicates.push((row) => suffix !== undefined && String(row.ts_code ?? '').endsWith(`.${suffix}`));
      continue;
    }
    if (column === undefined) continue; // declared but not a column (rt_etf_k's topic): no effect
    if (columns !== undefined && !columns.has(column)) {
      const assumed = paramDefault(param) ?? null;
      absent.push({ param: name, column, value, assumed });
      if (assumed !== null && !splitList(value).includes(assumed)) predicates.push(() => false);
      continue;
    }
    if (name === 'symbol') {
      const product = /^[A-Za-z]+$/.test(value) ? new RegExp(`^${value}\\d+$`, 'i') : null;
      predicates.push((row) => {
        const v = String(row[column] ?? '');
        return v === value || (product?.test(v) ?? false);
      });
      continue;
    }
    const list = /comma list/.test(param.doc ?? '') ? splitList(value) : [value];
    const set = new Set(list);
    if (column === timeColumn && list.length === 1) narrow(value, value);
    predicates.push((row) => set.has(String(row[column] ?? '')));
  }
  if (issues.length > 0) throw new ValidationError(`params of ${apiName}`, issues);

  const { from, to } = bounds;
  if (timeColumn !== undefined && (from !== null || to !== null)) {
    const lo = from;
    const hi = to;
    predicates.push((row) => {
      const v = row[timeColumn];
      if (v === null || v === undefined) return false;
      const s = String(v);
      return (lo === null || s >= lo) && (hi === null || s <= hi);
    });
  }
  const narrowing = ['ts_code', 'symbol', 'trade_date', 'start_date', 'end_date', 'date'];
  const latestOnly =
    spec.fetchMode === 'trade_date' &&
    timeColumn !== undefined &&
    !narrowing.some((p) => effective[p] !== undefined);

  return {
    apiName,
    spec,
    params: effective,
    time: timeColumn === undefined ? null : { column: timeColumn, from, to },
    codes,
    codeMatches,
    freq,
    latestOnly,
    predicates,
    absent,
  };
}

export function matches(query: Query, row: WireRow): boolean {
  for (const p of query.predicates) if (!p(row)) return false;
  return true;
}

type Cell = string | number | null | undefined;

const compareCells = (a: Cell, b: Cell): number => {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The answer order of an endpoint: newest first on the time column, then the natural key ascending. */
export function rowOrder(spec: EndpointSpec): (a: WireRow, b: WireRow) => number {
  const time = spec.timeField === undefined ? undefined : wire(spec, spec.timeField);
  const rest = spec.naturalKey.filter((k) => k !== spec.timeField).map((k) => wire(spec, k) ?? k);
  return (a, b) => {
    if (time !== undefined) {
      const c = compareCells(b[time], a[time]);
      if (c !== 0) return c;
    }
    for (const col of rest) {
      const c = compareCells(a[col], b[col]);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** The rows that answer the query, in the endpoint's order. */
export function select(query: Query, rows: Iterable<WireRow>): WireRow[] {
  let out: WireRow[] = [];
  for (const row of rows) if (matches(query, row)) out.push(row);
  const column = query.time?.column;
  if (query.latestOnly && column !== undefined && out.length > 0) {
    let latest = '';
    for (const row of out) {
      const v = String(row[column] ?? '');
      if (v > latest) latest = v;
    }
    out = out.filter((row) => String(row[column] ?? '') === latest);
  }
  return out.sort(rowOrder(query.spec));
}

import { ENDPOINTS } from '../../contracts/catalog/endpoints.js';
import { endpoint } from '../../contracts/catalog/index.js';
import { contentHash } from './hash.js';
import type { EndpointNormalizer, TableRow } from './types.js';
import { type ColumnValue, isoDate, monthEnd, type RawRow } from './values.js';

/**
 * When a macro value becomes known. Tushare serves no release timestamps, so these are conservative
 * rules after the publishers' usual schedules: a gate or backtest reading `available_date` may see
 * a value a few days late, never early.
 * - `next-month-day`: day N of the month after the period ends (NBS CPI/PPI come out around the
 *   9th–12th, PBoC money supply around the 10th–15th, NBS quarterly GDP around the 15th–19th).
 * - `same-day`: known on the date itself (SHIBOR is fixed and published at 11:00 Beijing time).
 * - `next-day`: US Treasury publishes its daily curves in the US afternoon, already the next day in
 *   Beijing.
 */
export type ReleaseRule =
  | { kind: 'next-month-day'; day: number }
  | { kind: 'same-day' }
  | { kind: 'next-day' };

export const RELEASE_RULES: Readonly<Record<string, ReleaseRule>> = {
  cn_cpi: { kind: 'next-month-day', day: 16 },
  cn_ppi: { kind: 'next-month-day', day: 16 },
  cn_m: { kind: 'next-month-day', day: 20 },
  cn_gdp: { kind: 'next-month-day', day: 20 },
  shibor: { kind: 'same-day' },
  us_tycr: { kind: 'next-day' },
  us_trycr: { kind: 'next-day' },
  us_tbr: { kind: 'next-day' },
  us_tltr: { kind: 'next-day' },
  us_trltr: { kind: 'next-day' },
};

export const MACRO_APIS = ENDPOINTS.filter((e) => e.role === 'macro').map((e) => e.apiName);

interface Period {
  /** Stored period text: `YYYY-MM`, `YYYYQn` or `YYYY-MM-DD`. */
  text: string;
  /** Last day the period covers, ISO. */
  end: string;
}

/** Parses the period column by its shape (the catalog's timeField: month, quarter or date). */
function periodOf(row: RawRow, timeField: string): Period | null {
  const served = row.text(timeField);
  if (served === null) return null;
  const month = /^(\d{4})(\d{2})$/.exec(served);
  if (timeField === 'month' && month) {
    const m = Number(month[2]);
    if (m >= 1 && m <= 12) return { text: `${month[1]}-${month[2]}`, end: monthEnd(Number(month[1]), m) };
  }
  const quarter = /^(\d{4})Q([1-4])$/.exec(served);
  if (timeField === 'quarter' && quarter) {
    return { text: served, end: monthEnd(Number(quarter[1]), Number(quarter[2]) * 3) };
  }
  if (timeField === 'date') {
    const iso = isoDate(served);
    if (iso) return { text: iso, end: iso };
  }
  return row.fail(`field ${timeField} is not a valid ${timeField}: '${served.slice(0, 16)}'`, {
    field: timeField,
  });
}

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export function availableDate(rule: ReleaseRule, periodEnd: string): string {
  switch (rule.kind) {
    case 'same-day':
      return periodEnd;
    case 'next-day':
      return addDays(periodEnd, 1);
    case 'next-month-day': {
      const year = Number(periodEnd.slice(0, 4));
      const month = Number(periodEnd.slice(5, 7));
      const [y, m] = month === 12 ? [year + 1, 1] : [year, month + 1];
      return `${y}-${String(m).padStart(2, '0')}-${String(rule.day).padStart(2, '0')}`;
    }
  }
}

/**
 * A macro row holds several series for one period (cn_cpi: national, urban, rural…). Each non-null
 * value becomes one observation `<api_name>.<Tushare column>`; a null cell is "not observed" and writes
 * nothing (us_tycr's m4 before 2022, for instance).
 */
export function macroNormalizer(apiName: string): EndpointNormalizer {
  const spec = endpoint(apiName);
  const rule = RELEASE_RULES[apiName];
  const timeField = spec.timeField;
  if (!rule || !timeField) throw new Error(`${apiName}: no release rule or time field`);
  // A series is named after Tushare's column (`shibor.1m`), which is what users know it by; the
  // catalog's field name (`m1`) only exists because Avro names cannot start with a digit.
  const seriesFields = spec.fields
    .filter((f) => f.name !== timeField)
    .map((f) => ({ name: f.name, series: `${apiName}.${f.tushareName ?? f.name}` }));
  return (row) => {
    const period = periodOf(row, timeField);
    if (period === null) return row.fail(`missing ${timeField}`, { field: timeField });
    const available = availableDate(rule, period.end);
    const rows: TableRow[] = [];
    for (const { name, series } of seriesFields) {
      const value = row.number(name);
      if (value === null) continue;
      const values: Record<string, ColumnValue> = {
        series,
        period: period.text,
        period_end: period.end,
        value,
        available_date: available,
        source_api: apiName,
      };
      rows.push({
        table: 'macro_observation',
        values: { ...values, content_hash: contentHash([{ table: 'macro_observation', values }]) },
      });
    }
    return rows;
  };
}

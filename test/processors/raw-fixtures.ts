import { endpoint } from '../../contracts/catalog/index.js';

/** A decoded raw record as the raw Avro schema reads: envelope, then every catalog field (null unless given). */
export function rawRecord(
  apiName: string,
  fields: Record<string, unknown>,
  envelope: Partial<Record<string, unknown>> = {},
): Record<string, unknown> {
  const record: Record<string, unknown> = {
    envelope: {
      run_id: 'run-1',
      api_name: apiName,
      params_hash: 'h'.repeat(64),
      page: 0,
      row_index: 0,
      fetched_at: 1_700_000_000_000,
      // What the fetch put in the envelope; minute endpoints read freq from it.
      params: { freq: '1min' },
      ...envelope,
    },
  };
  for (const field of endpoint(apiName).fields) record[field.name] = null;
  return Object.assign(record, fields);
}

/** YYYYMMDD of the i-th calendar day after 2024-01-01. */
export function dayOf(i: number): string {
  return new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
}

/** A plausible `daily` row for stock `s` on day `d`, deterministic. */
export function dailyFields(s: number, d: number, bump = 0): Record<string, unknown> {
  const close = 10 + ((s * 7 + d * 3) % 50) / 10 + bump;
  return {
    ts_code: `${String(600000 + s).padStart(6, '0')}.SH`,
    trade_date: dayOf(d),
    open: close - 0.1,
    high: close + 0.2,
    low: close - 0.3,
    close,
    pre_close: close - 0.05,
    change: 0.05,
    pct_chg: 0.5,
    vol: 1234.5 + s,
    amount: 98765.432 + d,
  };
}

export function futFields(s: number, d: number): Record<string, unknown> {
  return {
    ts_code: `CU${2400 + s}.SHF`,
    trade_date: dayOf(d),
    pre_close: 70000,
    pre_settle: 70010,
    open: 70020,
    high: 70500,
    low: 69900,
    close: 70300,
    settle: 70250,
    change1: 290,
    change2: 240,
    vol: 1500 + s,
    amount: 52345.67,
    oi: 80000,
    oi_chg: -120,
    delv_settle: null,
  };
}

export function fxFields(s: number, d: number): Record<string, unknown> {
  return {
    ts_code: ['USDCNH.FXCM', 'EURUSD.FXCM', 'USDJPY.FXCM'][s % 3],
    trade_date: dayOf(d),
    bid_open: 7.1,
    bid_close: 7.12,
    bid_high: 7.15,
    bid_low: 7.05,
    ask_open: 7.11,
    ask_close: 7.13,
    ask_high: 7.16,
    ask_low: 7.06,
    tick_qty: 1000 + d,
    exchange: 'FXCM',
  };
}

export function sgeFields(s: number, d: number): Record<string, unknown> {
  return {
    ts_code: ['Au99.99', 'Au(T+D)', 'Ag(T+D)'][s % 3],
    trade_date: dayOf(d),
    close: 480.5,
    open: 479,
    high: 481,
    low: 478.5,
    price_avg: 480.1,
    change: 1.5,
    pct_change: 0.31,
    vol: 13667.66,
    amount: 6543210.5,
    oi: 12000,
    settle_vol: 300,
    settle_dire: s % 3 === 0 ? null : '空支付给多',
  };
}

/**
 * A valid row for any normalized endpoint, derived from the catalog: `i` varies every field, so rows
 * with different `i` have different keys. Only fields with a format beyond their type are special.
 */
export function sampleFields(apiName: string, i: number): Record<string, unknown> {
  const spec = endpoint(apiName);
  const fields: Record<string, unknown> = {};
  for (const field of spec.fields) {
    if (field.type === 'date') fields[field.name] = dayOf(i);
    else if (field.type === 'datetime')
      fields[field.name] =
        `${dayOf(i).slice(0, 4)}-${dayOf(i).slice(4, 6)}-${dayOf(i).slice(6)} 10:${String(i % 60).padStart(2, '0')}:00`;
    else if (field.type === 'float') fields[field.name] = 1.25 + i;
    else if (field.type === 'int') fields[field.name] = 10 + i;
    else fields[field.name] = `${field.name}-${i}`;
  }
  if (apiName === 'trade_cal') fields.is_open = i % 2 === 0 ? '1' : '0';
  if (spec.timeField === 'month')
    fields.month = `${2000 + Math.floor(i / 12)}${String((i % 12) + 1).padStart(2, '0')}`;
  if (spec.timeField === 'quarter') fields.quarter = `${2000 + Math.floor(i / 4)}Q${(i % 4) + 1}`;
  if (apiName === 'fund_basic') fields.ts_code = `${510000 + i}.SH`;
  return fields;
}

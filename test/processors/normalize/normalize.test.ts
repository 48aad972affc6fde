import { describe, expect, it } from 'vitest';
import { endpoint } from '../../../contracts/catalog/index.js';
import { NormalizeError } from '../../../contracts/errors.js';
import { columnsOf, extensionOf, TABLES } from '../../../contracts/normalized/tables.js';
import { unitOf } from '../../../contracts/normalized/units.js';
import { BAR_APIS } from '../../../processors/normalize/bars.js';
import {
  canNormalize,
  NORMALIZED_API_NAMES,
  type NormalizeResult,
  normalize,
  type TableRow,
} from '../../../processors/normalize/index.js';
import { availableDate } from '../../../processors/normalize/macro.js';
import {
  dailyFields,
  dayOf,
  futFields,
  fxFields,
  rawRecord,
  sampleFields,
  sgeFields,
} from '../raw-fixtures.js';

function rows(apiName: string, fields: Record<string, unknown>, envelope = {}): TableRow[] {
  const result = normalize(apiName, rawRecord(apiName, fields, envelope));
  if (!result.ok) throw result.error;
  return result.rows;
}

function only(apiName: string, fields: Record<string, unknown>, table: string): Record<string, unknown> {
  const found = rows(apiName, fields).filter((r) => r.table === table);
  expect(found).toHaveLength(1);
  return found[0]?.values as Record<string, unknown>;
}

function failure(result: NormalizeResult): NormalizeError {
  expect(result.ok).toBe(false);
  return (result as { ok: false; error: NormalizeError }).error;
}

/** The served value of a field in base units, as the unit table says. */
const inBase = (apiName: string, field: string, value: unknown) =>
  typeof value === 'number' ? Number((value * (unitOf(apiName, field)?.factor ?? 1)).toPrecision(15)) : value;

const iso = (yyyymmdd: string) => `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6)}`;

describe('normalize: every endpoint with a normalizer', () => {
  it('covers every endpoint of the catalog', () => {
    for (const api of [
      'daily',
      'fund_daily',
      'index_daily',
      'fut_daily',
      'sge_daily',
      'fx_daily',
      'trade_cal',
    ]) {
      expect(canNormalize(api), api).toBe(true);
    }
    for (const api of ['stock_basic', 'fund_basic', 'index_basic', 'fut_basic', 'sge_basic', 'fx_obasic']) {
      expect(canNormalize(api), api).toBe(true);
    }
    for (const api of ['stk_mins', 'idx_mins', 'ft_mins', 'rt_min', 'rt_idx_min', 'rt_etf_k', 'rt_idx_k']) {
      expect(canNormalize(api), api).toBe(true);
    }
    expect(canNormalize('stk_premarket')).toBe(true);
    expect(failure(normalize('no_such_api', {})).code).toBe('XASSET_NORMALIZE_FAILED');
  });

  it('writes exactly the columns of each target table, with a hash where the table has one', () => {
    for (const api of NORMALIZED_API_NAMES) {
      for (let i = 0; i < 3; i++) {
        const out = rows(api, sampleFields(api, i));
        expect(out.length, api).toBeGreaterThan(0);
        for (const row of out) {
          const expected = columnsOf(row.table).map((c) => c.name);
          if (TABLES[row.table].hashed) expected.push('content_hash');
          expect(Object.keys(row.values).sort(), `${api} → ${row.table}`).toEqual(expected.sort());
          if (TABLES[row.table].hashed) expect((row.values.content_hash as Buffer).length).toBe(32);
        }
      }
    }
  });
});

describe('normalize: daily bars', () => {
  it('maps every market_bar and extension column that the catalog has by the same name, in base units', () => {
    for (const api of BAR_APIS) {
      const spec = endpoint(api);
      const fields = sampleFields(api, 4);
      const [bar, ext] = rows(api, fields);
      expect(bar?.table).toBe('market_bar');
      expect(bar?.values).toMatchObject({ asset_class: spec.assetClass, trade_date: iso(dayOf(4)) });
      const byName = new Set(spec.fields.map((f) => f.name));
      for (const column of TABLES.market_bar.values) {
        if (byName.has(column.name)) {
          expect(bar?.values[column.name], `${api}.${column.name}`).toBe(
            inBase(api, column.name, fields[column.name]),
          );
        }
      }
      const extTable = extensionOf(spec.assetClass);
      expect(ext?.table).toBe(extTable?.name);
      for (const column of extTable?.values ?? []) {
        expect(ext?.values[column.name], `${api} ext ${column.name}`).toBe(
          inBase(api, column.name, fields[column.name]),
        );
      }
    }
  });

  it('converts stock, ETF and index volumes from lots and amounts from thousand CNY', () => {
    for (const api of ['daily', 'fund_daily', 'index_daily']) {
      const bar = only(api, { ...dailyFields(1, 1), vol: 1234.56, amount: 0.29 }, 'market_bar');
      expect(bar.vol, api).toBe(123456);
      expect(bar.amount, api).toBe(290);
    }
  });

  it('keeps futures volume and open interest in contracts and converts the amount from ten thousand CNY', () => {
    const fields = futFields(3, 2);
    const [bar, ext] = rows('fut_daily', fields);
    expect(bar?.values).toMatchObject({
      asset_class: 'futures',
      vol: 1503,
      amount: 523_456_700,
      close: 70300,
      pre_close: 70000,
      change: null,
      pct_chg: null,
    });
    expect(ext?.values).toEqual({
      ts_code: 'CU2403.SHF',
      trade_date: iso(dayOf(2)),
      settle: 70250,
      pre_settle: 70010,
      change1: 290,
      change2: 240,
      oi: 80000,
      oi_chg: -120,
      delv_settle: null,
    });
  });

  it('takes SGE percent change from pct_change and keeps kilograms and CNY as served', () => {
    const [bar, ext] = rows('sge_daily', sgeFields(1, 0));
    expect(bar?.values).toMatchObject({
      asset_class: 'spot',
      pct_chg: 0.31,
      vol: 13667.66,
      amount: 6543210.5,
      pre_close: null,
    });
    expect(ext?.values).toMatchObject({ price_avg: 480.1, settle_dire: '空支付给多', oi: 12000 });
  });

  it('makes the FX bar the bid/ask mid and keeps both sides in the extension', () => {
    const [bar, ext] = rows('fx_daily', fxFields(0, 0));
    expect(bar?.values.open).toBeCloseTo(7.105, 12);
    expect(bar?.values.high).toBeCloseTo(7.155, 12);
    expect(bar?.values.low).toBeCloseTo(7.055, 12);
    expect(bar?.values.close).toBeCloseTo(7.125, 12);
    expect(bar?.values).toMatchObject({
      vol: null,
      amount: null,
      pre_close: null,
      change: null,
      pct_chg: null,
    });
    expect(ext?.values).toMatchObject({ bid_close: 7.12, ask_close: 7.13, tick_qty: 1000, exchange: 'FXCM' });
    const oneSided = rows('fx_daily', { ...fxFields(0, 0), ask_close: null });
    expect(oneSided[0]?.values.close).toBeNull();
    expect(oneSided[0]?.values.open).toBeCloseTo(7.105, 12);
  });

  it('normalizes many rows deterministically, each key with its own hash', () => {
    const hashes = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const fields = dailyFields(i % 2_000, Math.floor(i / 2_000));
      const [first] = rows('daily', fields);
      const [again] = rows('daily', fields, { run_id: 'another-run', fetched_at: 9, page: 3, row_index: 7 });
      const hash = (first?.values.content_hash as Buffer | undefined)?.toString('hex') ?? 'missing';
      expect((again?.values.content_hash as Buffer | undefined)?.toString('hex')).toBe(hash);
      hashes.add(hash);
    }
    expect(hashes.size).toBe(10_000);
  });

  it('changes the hash when any single value changes, extension values included', () => {
    const base = futFields(0, 0);
    const hashOf = (fields: Record<string, unknown>) =>
      (rows('fut_daily', fields)[0]?.values.content_hash as Buffer | undefined)?.toString('hex');
    const reference = hashOf(base);
    for (const field of endpoint('fut_daily').fields) {
      const changed = {
        ...base,
        [field.name]: field.type === 'date' ? dayOf(100) : field.type === 'str' ? 'X9.SHF' : 4.5,
      };
      expect(hashOf(changed), field.name).not.toBe(reference);
    }
    expect(hashOf({ ...base })).toBe(reference);
  });
});

describe('normalize: poison', () => {
  const cases: Array<[string, string, Record<string, unknown>, RegExp]> = [
    [
      'daily',
      'impossible date',
      { ...dailyFields(0, 0), trade_date: '20240230' },
      /trade_date is not a YYYYMMDD date/,
    ],
    [
      'daily',
      'ISO instead of YYYYMMDD',
      { ...dailyFields(0, 0), trade_date: '2024-01-02' },
      /trade_date is not/,
    ],
    ['daily', 'missing ts_code', { ...dailyFields(0, 0), ts_code: null }, /missing ts_code/],
    ['daily', 'missing trade_date', { ...dailyFields(0, 0), trade_date: null }, /missing trade_date/],
    ['daily', 'empty ts_code', { ...dailyFields(0, 0), ts_code: '' }, /empty key column ts_code/],
    ['daily', 'a string volume', { ...dailyFields(0, 0), vol: '12' }, /vol is not a finite number/],
    ['daily', 'NaN close', { ...dailyFields(0, 0), close: Number.NaN }, /close is not a finite number/],
    ['daily', 'infinite amount', { ...dailyFields(0, 0), amount: Number.POSITIVE_INFINITY }, /amount is not/],
    ['daily', 'a numeric code', { ...dailyFields(0, 0), ts_code: 600000 }, /ts_code is not a string/],
    [
      'daily',
      'a NUL in the code',
      { ...dailyFields(0, 0), ts_code: '600000\u0000.SH' },
      /ts_code contains a NUL/,
    ],
    [
      'stock_basic',
      'a NUL in an attribute',
      { ts_code: '600000.SH', industry: 'Ba\u0000nks' },
      /industry contains a NUL/,
    ],
    ['fut_daily', 'bad ext date', { ...futFields(0, 0), trade_date: '20231301' }, /trade_date/],
    ['fx_daily', 'missing pair', { ...fxFields(0, 0), ts_code: null }, /missing ts_code/],
    [
      'trade_cal',
      'is_open not a flag',
      { exchange: 'SSE', cal_date: '20240102', is_open: 'Y' },
      /is_open must be/,
    ],
    [
      'trade_cal',
      'is_open missing',
      { exchange: 'SSE', cal_date: '20240102', is_open: null },
      /missing is_open/,
    ],
    ['trade_cal', 'no exchange', { exchange: null, cal_date: '20240102', is_open: '1' }, /missing exchange/],
    ['stock_basic', 'bad list date', { ts_code: '600000.SH', list_date: '19991310' }, /list_date/],
    ['fund_basic', 'bad date in attributes', { ts_code: '510300.SH', found_date: '2012' }, /found_date/],
    ['cn_cpi', 'month 13', { month: '202313', nt_val: 1 }, /month is not a valid month/],
    ['cn_gdp', 'quarter 5', { quarter: '2024Q5', gdp: 1 }, /quarter is not a valid quarter/],
    ['shibor', 'missing date', { date: null, on: 1.5 }, /missing date/],
    ['fut_wsr', 'missing warehouse', { ...sampleFields('fut_wsr', 0), warehouse: null }, /missing warehouse/],
    [
      'moneyflow',
      'missing trade_date',
      { ...sampleFields('moneyflow', 0), trade_date: null },
      /missing trade_date/,
    ],
  ];
  it.each(cases)('%s: %s → NormalizeError', (api, _what, fields, reason) => {
    const error = failure(normalize(api, rawRecord(api, fields)));
    expect(error).toBeInstanceOf(NormalizeError);
    expect(error.code).toBe('XASSET_NORMALIZE_FAILED');
    expect(error.message).toMatch(reason);
    expect(error.details.apiName).toBe(api);
  });

  it('refuses records that are not objects or belong to another endpoint', () => {
    expect(failure(normalize('daily', null)).message).toMatch(/not an object/);
    expect(failure(normalize('daily', 'daily')).message).toMatch(/not an object/);
    expect(
      failure(normalize('daily', rawRecord('daily', dailyFields(0, 0), { api_name: 'fund_daily' }))).message,
    ).toMatch(/envelope names another endpoint: 'fund_daily'/);
  });

  it('accepts null in nullable columns', () => {
    const nulls = Object.fromEntries(
      ['open', 'high', 'low', 'close', 'pre_close', 'change', 'pct_chg', 'vol', 'amount'].map((f) => [
        f,
        null,
      ]),
    );
    const bar = only('daily', { ...dailyFields(0, 0), ...nulls }, 'market_bar');
    expect(bar).toMatchObject(nulls);
  });
});

describe('normalize: reference data', () => {
  it('maps each basics endpoint onto instrument, the rest into attributes in base units', () => {
    const stock = only(
      'stock_basic',
      {
        ts_code: '600000.SH',
        name: 'PF Bank',
        exchange: 'SSE',
        list_date: '19991110',
        delist_date: null,
        industry: 'Banks',
        is_hs: 'H',
      },
      'instrument',
    );
    expect(stock).toMatchObject({
      asset_class: 'stock',
      name: 'PF Bank',
      exchange: 'SSE',
      list_date: '1999-11-10',
      delist_date: null,
      attributes: { industry: 'Banks', is_hs: 'H' },
    });
    const fund = only(
      'fund_basic',
      { ts_code: '159915.SZ', name: 'ChiNext ETF', issue_amount: 12.5, found_date: '20110909' },
      'instrument',
    );
    expect(fund).toMatchObject({
      asset_class: 'etf',
      exchange: 'SZSE',
      attributes: { issue_amount: 1_250_000_000, found_date: '2011-09-09' },
    });
    expect(only('fund_basic', { ts_code: 'OF000001' }, 'instrument').exchange).toBeNull();
    const index = only(
      'index_basic',
      { ts_code: '000300.SH', name: 'CSI 300', market: 'CSI', exp_date: '20991231', base_point: 1000 },
      'instrument',
    );
    expect(index).toMatchObject({
      asset_class: 'index',
      exchange: 'CSI',
      delist_date: '2099-12-31',
      attributes: { base_point: 1000 },
    });
    expect(index.attributes).not.toHaveProperty('market');
    expect(index.attributes).not.toHaveProperty('exp_date');
    const sge = only(
      'sge_basic',
      { ts_code: 'Au99.99', ts_name: 'Gold 99.99', t_unit: 1000, min_vol: 1 },
      'instrument',
    );
    expect(sge).toMatchObject({
      asset_class: 'spot',
      name: 'Gold 99.99',
      exchange: 'SGE',
      attributes: { t_unit: 1000, min_vol: 1 },
    });
    const fut = only(
      'fut_basic',
      {
        ts_code: 'CU2401.SHF',
        exchange: 'SHFE',
        name: 'Copper 2401',
        delist_date: '20240115',
        d_month: '202401',
      },
      'instrument',
    );
    expect(fut).toMatchObject({
      asset_class: 'futures',
      exchange: 'SHFE',
      delist_date: '2024-01-15',
      attributes: { d_month: '202401' },
    });
    const fx = only(
      'fx_obasic',
      { ts_code: 'USDCNH.FXCM', name: 'USD/CNH', exchange: 'FXCM', pip: 0.0001 },
      'instrument',
    );
    expect(fx).toMatchObject({ asset_class: 'fx', list_date: null, attributes: { pip: 0.0001 } });
    for (const values of [stock, fund, index, sge, fut, fx]) {
      expect(values.attributes).not.toHaveProperty('ts_code');
      expect(values.attributes).not.toHaveProperty('name');
    }
  });

  it('changes the instrument hash when an attribute changes', () => {
    const hash = (industry: string) =>
      (only('stock_basic', { ts_code: '600000.SH', industry }, 'instrument').content_hash as Buffer).toString(
        'hex',
      );
    expect(hash('Banks')).toBe(hash('Banks'));
    expect(hash('Banks')).not.toBe(hash('Insurance'));
  });

  it('maps the trade calendar, is_open as a boolean', () => {
    expect(
      rows('trade_cal', { exchange: 'SSE', cal_date: '20240102', is_open: '1', pretrade_date: '20231229' }),
    ).toEqual([
      {
        table: 'trade_calendar',
        values: { exchange: 'SSE', cal_date: '2024-01-02', is_open: true, pretrade_date: '2023-12-29' },
      },
    ]);
    expect(
      only('trade_cal', { exchange: 'SHFE', cal_date: '20240101', is_open: '0' }, 'trade_calendar').is_open,
    ).toBe(false);
  });
});

describe('normalize: module and microstructure tables', () => {
  it('converts daily_basic share counts and market values from ten thousand into base units', () => {
    const values = only(
      'daily_basic',
      { ts_code: '600000.SH', trade_date: '20240102', total_share: 2935208.04, circ_mv: 0.5, pe: null },
      'daily_basic',
    );
    expect(values).toMatchObject({
      total_share: 29352080400,
      circ_mv: 5000,
      pe: null,
      trade_date: '2024-01-02',
    });
  });

  it('converts money flow lots into shares and ten thousand CNY into CNY', () => {
    const values = only(
      'moneyflow',
      { ts_code: '600000.SH', trade_date: '20240102', buy_sm_vol: 1234, net_mf_amount: -12.34 },
      'moneyflow',
    );
    expect(values).toMatchObject({ buy_sm_vol: 123400, net_mf_amount: -123400 });
  });

  it('keys fut_wsr by year, grade and brand, storing an unused part as empty', () => {
    const values = only(
      'fut_wsr',
      { ...sampleFields('fut_wsr', 1), year: null, grade: 'A', brand: null },
      'fut_wsr',
    );
    expect(values).toMatchObject({
      year: '',
      grade: 'A',
      brand: '',
      warehouse: 'warehouse-1',
      pre_vol: 11,
      vol_chg: 11,
    });
  });

  it('keeps fut_holding lots as contracts', () => {
    const values = only(
      'fut_holding',
      { trade_date: '20240102', symbol: 'CU2401', broker: 'X', long_hld: 1500 },
      'fut_holding',
    );
    expect(values).toMatchObject({ symbol: 'CU2401', long_hld: 1500, trade_date: '2024-01-02' });
  });
});

describe('normalize: macro', () => {
  it('makes one observation per non-null cell with its period and available date', () => {
    const out = rows('cn_cpi', { month: '202312', nt_val: 100.2, nt_yoy: -0.3 });
    expect(out.map((r) => ({ ...r.values, content_hash: undefined }))).toEqual([
      {
        series: 'cn_cpi.nt_val',
        period: '2023-12',
        period_end: '2023-12-31',
        value: 100.2,
        available_date: '2024-01-16',
        source_api: 'cn_cpi',
        content_hash: undefined,
      },
      {
        series: 'cn_cpi.nt_yoy',
        period: '2023-12',
        period_end: '2023-12-31',
        value: -0.3,
        available_date: '2024-01-16',
        source_api: 'cn_cpi',
        content_hash: undefined,
      },
    ]);
    expect(rows('cn_cpi', { month: '202312' })).toEqual([]);
  });

  it('parses quarters and dates and converts hundred million CNY', () => {
    expect(only('cn_gdp', { quarter: '2023Q4', gdp: 1260582.1 }, 'macro_observation')).toMatchObject({
      series: 'cn_gdp.gdp',
      period: '2023Q4',
      period_end: '2023-12-31',
      available_date: '2024-01-20',
      value: 126058210000000,
    });
    expect(only('shibor', { date: '20240102', on: 1.659 }, 'macro_observation')).toMatchObject({
      series: 'shibor.on',
      period: '2024-01-02',
      available_date: '2024-01-02',
    });
    // Named after Tushare's column (`1m`), not the catalog's Avro-safe field name (`m1`).
    expect(only('shibor', { date: '20240102', m1: 1.8 }, 'macro_observation')).toMatchObject({
      series: 'shibor.1m',
      value: 1.8,
    });
    expect(only('us_tycr', { date: '20231231', y10: 3.88 }, 'macro_observation')).toMatchObject({
      series: 'us_tycr.y10',
      available_date: '2024-01-01',
    });
  });

  it('never makes a value available before its period ends, across month and year ends', () => {
    for (let day = 0; day < 800; day++) {
      const end = new Date(Date.UTC(2023, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
      for (const rule of [
        { kind: 'next-month-day', day: 16 },
        { kind: 'same-day' },
        { kind: 'next-day' },
      ] as const) {
        const available = availableDate(rule, end);
        expect(available >= end, `${rule.kind} ${end}`).toBe(true);
        expect(Number.isNaN(Date.parse(available)), available).toBe(false);
      }
    }
    expect(availableDate({ kind: 'next-month-day', day: 20 }, '2024-02-29')).toBe('2024-03-20');
    expect(availableDate({ kind: 'next-month-day', day: 16 }, '2023-12-31')).toBe('2024-01-16');
    expect(availableDate({ kind: 'next-day' }, '2024-02-28')).toBe('2024-02-29');
  });
});

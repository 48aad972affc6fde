import { describe, expect, it } from 'vitest';
import { endpoint } from '../../../contracts/catalog/index.js';
import { ValidationError } from '../../../contracts/errors.js';
import type { WireRow } from '../../../producers/sandbox/dataset.js';
import {
  allowedFreqs,
  paramDefault,
  parseQuery,
  rowOrder,
  select,
} from '../../../producers/sandbox/filter.js';

const bar = (ts_code: string, trade_date: string): WireRow => ({ ts_code, trade_date, close: 1 });
const codes = (rows: WireRow[]) => rows.map((r) => `${r.ts_code}@${r.trade_date}`);

const DAILY: WireRow[] = [
  bar('600000.SH', '20240103'),
  bar('000001.SZ', '20240105'),
  bar('600000.SH', '20240105'),
  bar('000001.SZ', '20240103'),
  bar('300750.SZ', '20240104'),
  bar('000001.SZ', '20240104'),
];

const param = (apiName: string, name: string) => {
  const p = endpoint(apiName).params.find((x) => x.name === name);
  if (p === undefined) throw new Error(`${apiName} has no param ${name}`);
  return p;
};

describe('params read from the catalog', () => {
  it('takes defaults from "(default)" in the param docs, and nothing where there is none', () => {
    expect(paramDefault(param('stock_basic', 'list_status'))).toBe('L');
    expect(paramDefault(param('fund_basic', 'market'))).toBe('E');
    expect(paramDefault(param('trade_cal', 'exchange'))).toBe('SSE');
    expect(paramDefault(param('index_basic', 'market'))).toBe('SSE');
    expect(paramDefault(param('fut_basic', 'fut_type'))).toBeUndefined();
    expect(paramDefault(param('daily', 'ts_code'))).toBeUndefined();
  });

  it('lists the frequencies a freq param allows, lower case for history and upper case for realtime', () => {
    expect(allowedFreqs(param('stk_mins', 'freq'))).toEqual(['1min', '5min', '15min', '30min', '60min']);
    expect(allowedFreqs(param('rt_min', 'freq'))).toEqual(['1MIN', '5MIN', '15MIN', '30MIN', '60MIN']);
  });
});

describe('select', () => {
  it('orders newest first, then by the rest of the natural key', () => {
    const q = parseQuery('daily', { start_date: '20240101', end_date: '20240131' });
    expect(codes(select(q, DAILY))).toEqual([
      '000001.SZ@20240105',
      '600000.SH@20240105',
      '000001.SZ@20240104',
      '300750.SZ@20240104',
      '000001.SZ@20240103',
      '600000.SH@20240103',
    ]);
  });

  it('bounds dates inclusively and takes comma lists of codes', () => {
    const q = parseQuery('daily', {
      ts_code: '000001.SZ, 600000.SH',
      start_date: '20240104',
      end_date: 20240105,
    });
    expect(codes(select(q, DAILY))).toEqual([
      '000001.SZ@20240105',
      '600000.SH@20240105',
      '000001.SZ@20240104',
    ]);
    expect(q.codes).toEqual(['000001.SZ', '600000.SH']);
    expect(q.time).toEqual({ column: 'trade_date', from: '20240104', to: '20240105' });
  });

  it('matches trade_date exactly and narrows the time bounds to it', () => {
    const q = parseQuery('daily', { trade_date: '20240104' });
    expect(codes(select(q, DAILY))).toEqual(['000001.SZ@20240104', '300750.SZ@20240104']);
    expect(q.time).toEqual({ column: 'trade_date', from: '20240104', to: '20240104' });
    expect(q.latestOnly).toBe(false);
  });

  it('answers a whole-market endpoint asked with no code or date with its latest date only', () => {
    const q = parseQuery('daily', {});
    expect(q.latestOnly).toBe(true);
    expect(codes(select(q, DAILY))).toEqual(['000001.SZ@20240105', '600000.SH@20240105']);
    // A code, or a per-instrument endpoint, lifts it.
    expect(codes(select(parseQuery('daily', { ts_code: '300750.SZ' }), DAILY))).toEqual([
      '300750.SZ@20240104',
    ]);
    expect(parseQuery('index_daily', { ts_code: '000001.SH' }).latestOnly).toBe(false);
  });

  it('takes ts_code wildcards', () => {
    const rows = ['510300.SH', '159915.SZ', '512880.SH', '600000.SH'].map((c) => ({ ts_code: c, name: c }));
    const q = parseQuery('rt_etf_k', { ts_code: '5*.SH,1*.SZ' });
    expect(q.codes).toBeNull();
    expect(select(q, rows).map((r) => r.ts_code)).toEqual(['159915.SZ', '510300.SH', '512880.SH']);
  });

  it('applies param defaults: stock_basic serves listed stocks unless asked otherwise', () => {
    const rows = [
      { ts_code: '600001.SH', list_status: 'D', exchange: 'SSE' },
      { ts_code: '600000.SH', list_status: 'L', exchange: 'SSE' },
      { ts_code: '000001.SZ', list_status: 'L', exchange: 'SZSE' },
    ];
    expect(select(parseQuery('stock_basic', {}), rows).map((r) => r.ts_code)).toEqual([
      '000001.SZ',
      '600000.SH',
    ]);
    expect(select(parseQuery('stock_basic', { list_status: 'D' }), rows).map((r) => r.ts_code)).toEqual([
      '600001.SH',
    ]);
    expect(select(parseQuery('stock_basic', { exchange: 'SZSE' }), rows).map((r) => r.ts_code)).toEqual([
      '000001.SZ',
    ]);
  });

  it('picks futures by exchange through the ts_code suffix where the endpoint has no exchange column', () => {
    const rows = ['CU2401.SHF', 'M2405.DCE', 'SR405.ZCE', 'IF2401.CFX'].map((c) => ({
      ts_code: c,
      trade_date: '20240105',
    }));
    expect(
      select(parseQuery('fut_daily', { trade_date: '20240105', exchange: 'CZCE' }), rows).map(
        (r) => r.ts_code,
      ),
    ).toEqual(['SR405.ZCE']);
    expect(select(parseQuery('fut_daily', { trade_date: '20240105', exchange: 'NOPE' }), rows)).toEqual([]);
  });

  it('reads fut_basic list_date as "on or after" and fut_type as ordinary vs main contracts', () => {
    const rows = [
      { ts_code: 'CU2401.SHF', exchange: 'SHFE', list_date: '20230116' },
      { ts_code: 'CU2402.SHF', exchange: 'SHFE', list_date: '20230216' },
      { ts_code: 'CU.SHF', exchange: 'SHFE', list_date: '19950417' },
    ];
    const pick = (params: Record<string, string>) =>
      select(parseQuery('fut_basic', { exchange: 'SHFE', ...params }), rows).map((r) => r.ts_code);
    expect(pick({ list_date: '20230201' })).toEqual(['CU2402.SHF']);
    expect(pick({ fut_type: '1' })).toEqual(['CU2401.SHF', 'CU2402.SHF']);
    expect(pick({ fut_type: '2' })).toEqual(['CU.SHF']);
  });

  it('matches a product code against contract symbols', () => {
    const rows = ['CU2401', 'CU2402', 'C2405', 'CUL'].map((symbol) => ({
      trade_date: '20240105',
      symbol,
      broker: 'x',
    }));
    const pick = (symbol: string) => select(parseQuery('fut_holding', { symbol }), rows).map((r) => r.symbol);
    expect(pick('CU')).toEqual(['CU2401', 'CU2402']);
    expect(pick('CU2402')).toEqual(['CU2402']);
    expect(pick('C')).toEqual(['C2405']);
  });

  it('filters months and quarters by list and by range', () => {
    const months = ['202311', '202312', '202401', '202402'].map((month) => ({ month, nt_yoy: 1 }));
    expect(select(parseQuery('cn_cpi', { m: '202312,202402' }), months).map((r) => r.month)).toEqual([
      '202402',
      '202312',
    ]);
    expect(
      select(parseQuery('cn_cpi', { start_m: '202312', end_m: '202401' }), months).map((r) => r.month),
    ).toEqual(['202401', '202312']);
    const quarters = ['2023Q3', '2023Q4', '2024Q1'].map((quarter) => ({ quarter, gdp: 1 }));
    expect(select(parseQuery('cn_gdp', { start_q: '2023Q4' }), quarters).map((r) => r.quarter)).toEqual([
      '2024Q1',
      '2023Q4',
    ]);
    expect(select(parseQuery('cn_gdp', { q: '2023Q3' }), quarters).map((r) => r.quarter)).toEqual(['2023Q3']);
  });

  it('lets a bare date bound a datetime column over the whole day', () => {
    const rows = [
      '2024-01-04 15:00:00',
      '2024-01-05 09:31:00',
      '2024-01-05 15:00:00',
      '2024-01-08 09:31:00',
    ].map((trade_time) => ({ ts_code: '600000.SH', trade_time }));
    const q = parseQuery('stk_mins', {
      ts_code: '600000.SH',
      freq: '1min',
      start_date: '20240105',
      end_date: '2024-01-05',
    });
    expect(q.time).toEqual({ column: 'trade_time', from: '2024-01-05 00:00:00', to: '2024-01-05 23:59:59' });
    expect(select(q, rows).map((r) => r.trade_time)).toEqual(['2024-01-05 15:00:00', '2024-01-05 09:31:00']);
    const exact = parseQuery('stk_mins', {
      ts_code: '600000.SH',
      freq: '1min',
      start_date: '2024-01-05 10:00:00',
      end_date: '2024-01-08 09:31:00',
    });
    expect(select(exact, rows).map((r) => r.trade_time)).toEqual([
      '2024-01-08 09:31:00',
      '2024-01-05 15:00:00',
    ]);
  });

  it('filters a recorded freq column when rows carry one', () => {
    const rows = [
      { ts_code: 'A', trade_time: '2024-01-05 09:35:00', freq: '5min' },
      { ts_code: 'A', trade_time: '2024-01-05 09:31:00', freq: '1min' },
    ];
    const q = parseQuery('stk_mins', {
      ts_code: 'A',
      freq: '5min',
      start_date: '20240105',
      end_date: '20240105',
    });
    expect(q.freq).toBe('5min');
    expect(select(q, rows).map((r) => r.freq)).toEqual(['5min']);
  });

  it('ignores the protocol params and params the endpoint does not declare', () => {
    const q = parseQuery('daily', {
      trade_date: '20240104',
      fields: 'ts_code',
      limit: 1,
      offset: 3,
      whatever: 'x',
    });
    expect(q.params).toEqual({ trade_date: '20240104' });
    expect(select(q, DAILY)).toHaveLength(2);
  });

  it('refuses a missing required param, a bad date and an unlisted freq, naming each', () => {
    const issues = (apiName: Parameters<typeof parseQuery>[0], params: Record<string, string>) => {
      try {
        parseQuery(apiName, params);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).issues.map((i) => i.path).sort();
      }
      throw new Error('expected a ValidationError');
    };
    expect(issues('index_daily', {})).toEqual(['ts_code']);
    expect(issues('fut_basic', {})).toEqual(['exchange']);
    expect(issues('daily', { trade_date: '2024-01-04', start_date: '20240230' })).toEqual([
      'start_date',
      'trade_date',
    ]);
    expect(issues('stk_mins', { ts_code: 'A', freq: '1MIN' })).toEqual(['freq']);
    expect(issues('rt_min', { ts_code: 'A', freq: '1min' })).toEqual(['freq']);
    expect(issues('stk_mins', { ts_code: 'A', freq: '1min', start_date: '2024/01/05' })).toEqual([
      'start_date',
    ]);
  });

  it('orders reference data without a time column by its natural key', () => {
    const order = rowOrder(endpoint('stock_basic'));
    const rows = [{ ts_code: '600000.SH' }, { ts_code: '000001.SZ' }, { ts_code: '300001.SZ' }];
    expect(rows.sort(order).map((r) => r.ts_code)).toEqual(['000001.SZ', '300001.SZ', '600000.SH']);
  });
});

import { describe, expect, it } from 'vitest';
import { topicSchemas } from '../../../contracts/avro/schemas.js';
import { endpoint, rawTopic } from '../../../contracts/catalog/index.js';
import { TushareBadResponseError } from '../../../contracts/errors.js';
import { SingleObjectCodec } from '../../../infra/codec/single-object-codec.js';
import { envelopeParams, pageRecords, rawKey, rawRecord } from '../../../producers/fetch/raw-record.js';
import type { TusharePage } from '../../../producers/tushare/source.js';

const page = (apiName: TusharePage['apiName'], rows: TusharePage['rows'], n = 0): TusharePage => ({
  apiName,
  params: { trade_date: '20260105' },
  paramsHash: 'a'.repeat(64),
  page: n,
  offset: n * endpoint(apiName).rowLimit,
  rows,
});

const dailyRow = {
  ts_code: '000001.SZ',
  trade_date: '20260105',
  open: 10.5,
  high: 11,
  low: 10.1,
  close: 10.9,
  pre_close: 10.4,
  change: 0.5,
  pct_chg: 4.81,
  vol: 123456.78,
  amount: 98765.4,
};

describe('rawKey', () => {
  it('is api_name | other natural-key parts | time field', () => {
    expect(rawKey(endpoint('daily'), dailyRow)).toBe('daily|000001.SZ|20260105');
    expect(rawKey(endpoint('trade_cal'), { exchange: 'SSE', cal_date: '20260105', is_open: 1 })).toBe(
      'trade_cal|SSE|20260105',
    );
    expect(rawKey(endpoint('stock_basic'), { ts_code: '600000.SH', name: 'x' })).toBe(
      'stock_basic|600000.SH',
    );
    expect(rawKey(endpoint('shibor'), { date: '20260105', on: 1.2 })).toBe('shibor|20260105');
  });

  it('keeps every key column, null ones as empty parts, so rows that differ in any stay apart', () => {
    const row = {
      trade_date: '20260105',
      symbol: 'ZN',
      warehouse: 'W1',
      year: null,
      grade: 'A',
      brand: null,
    };
    expect(rawKey(endpoint('fut_wsr'), row)).toBe('fut_wsr|ZN|W1||A||20260105');
  });
});

describe('envelopeParams', () => {
  it('keeps the request params as strings, without the paging ones', () => {
    expect(envelopeParams({ ts_code: '600000.SH', freq: '1min', limit: 8000, offset: 16000, n: 3 })).toEqual({
      ts_code: '600000.SH',
      freq: '1min',
      n: '3',
    });
  });
});

describe('rawRecord', () => {
  it('wraps a row in the envelope and fills every catalog field, absent ones null', () => {
    const record = rawRecord(
      endpoint('daily'),
      page('daily', [], 2),
      7,
      { ts_code: '000001.SZ' },
      {
        runId: 'run-9',
        fetchedAt: 1_767_600_000_000,
      },
    );
    expect(record.envelope).toEqual({
      run_id: 'run-9',
      api_name: 'daily',
      params_hash: 'a'.repeat(64),
      page: 2,
      row_index: 7,
      fetched_at: 1_767_600_000_000,
      params: { trade_date: '20260105' },
    });
    expect(Object.keys(record).slice(1)).toEqual(endpoint('daily').fields.map((f) => f.name));
    expect(record.close).toBeNull();
  });

  it('converts only losslessly between numbers and strings', () => {
    const spec = endpoint('sge_basic');
    const record = rawRecord(
      spec,
      page('sge_basic', []),
      0,
      { ts_code: 'Au99.99', min_vol: '1', t_unit: '1000' },
      {
        runId: 'r',
        fetchedAt: 0,
      },
    );
    expect(record).toMatchObject({ min_vol: 1, t_unit: 1000 });
    const cal = rawRecord(
      endpoint('trade_cal'),
      page('trade_cal', []),
      0,
      { is_open: 1 },
      { runId: 'r', fetchedAt: 0 },
    );
    expect(cal.is_open).toBe('1');
    expect(() =>
      rawRecord(spec, page('sge_basic', []), 0, { min_vol: 1.5 }, { runId: 'r', fetchedAt: 0 }),
    ).toThrow(TushareBadResponseError);
    expect(() =>
      rawRecord(spec, page('sge_basic', []), 0, { t_unit: 'n/a' }, { runId: 'r', fetchedAt: 0 }),
    ).toThrow(/sge_basic\.t_unit/);
  });

  it('encodes with the raw schema and decodes back to the catalog row', async () => {
    const codec = new SingleObjectCodec(topicSchemas());
    const topic = rawTopic('daily');
    const [record] = await pageRecords(
      endpoint('daily'),
      page('daily', [dailyRow]),
      { runId: 'r', fetchedAt: 5 },
      (v) => codec.encode(topic, v),
    );
    expect(record?.key).toBe('daily|000001.SZ|20260105');
    const decoded = JSON.parse(JSON.stringify(await codec.decode(topic, record?.value as Buffer)));
    const { envelope, ...fields } = decoded;
    expect(fields).toEqual(dailyRow);
    expect(envelope.row_index).toBe(0);
  });

  it('leaves out rows the filter rejects, and the rest keep their position in the page', async () => {
    const codec = new SingleObjectCodec(topicSchemas());
    const topic = rawTopic('trade_cal');
    const rows = ['20260105', '20260106', '20260107'].map((cal_date) => ({
      exchange: 'SSE',
      cal_date,
      is_open: 1,
    }));
    const records = await pageRecords(
      endpoint('trade_cal'),
      page('trade_cal', rows),
      { runId: 'r', fetchedAt: 5 },
      (v) => codec.encode(topic, v),
      (row) => (row.cal_date as string) > '20260105',
    );
    expect(records.map((r) => r.key)).toEqual(['trade_cal|SSE|20260106', 'trade_cal|SSE|20260107']);
    const decoded = await Promise.all(
      records.map(async (r) => (await codec.decode(topic, r.value)) as { envelope: { row_index: number } }),
    );
    expect(decoded.map((d) => d.envelope.row_index)).toEqual([1, 2]);
  });
});

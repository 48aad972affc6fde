import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { endpoint } from '../../../contracts/catalog/index.js';
import { ValidationError } from '../../../contracts/errors.js';
import type { WireRow } from '../../../producers/sandbox/dataset.js';
import { csvRecords, openRecordedDataset } from '../../../producers/sandbox/recorded.js';
import { createSyntheticMarket } from '../../../producers/sandbox/synthetic/index.js';

const root = await mkdtemp(join(tmpdir(), 'xasset-recorded-'));
afterAll(() => rm(root, { recursive: true, force: true }));

let folders = 0;
async function folder(files: Record<string, string>): Promise<string> {
  const dir = join(root, `f${folders++}`);
  await mkdir(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function toCsv(rows: readonly WireRow[], columns: readonly string[]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\r\n');
}

const toJsonl = (rows: readonly WireRow[]) => rows.map((r) => JSON.stringify(r)).join('\n');

/** The error a folder fails with on open. */
async function openError(files: Record<string, string>): Promise<ValidationError> {
  try {
    await openRecordedDataset(await folder(files));
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected the folder to be refused');
}

const DAILY_HEADER = endpoint('daily')
  .fields.map((f) => f.name)
  .join(',');

describe('recorded folders', () => {
  it('round-trip synthetic answers through CSV and JSONL unchanged', async () => {
    const market = createSyntheticMarket({ seed: 4, size: 'tiny' });
    const cases = {
      daily: { start_date: '20240101', end_date: '20240131' },
      shibor: { start_date: '20240101', end_date: '20240331' },
      trade_cal: { start_date: '20231201', end_date: '20240131' },
      fut_wsr: { start_date: '20240102', end_date: '20240105' },
      stock_basic: {},
      cn_gdp: {},
      stk_mins: { ts_code: '600000.SH', freq: '5min', start_date: '20240105', end_date: '20240105' },
    } as const;
    const csv: Record<string, string> = {};
    const jsonl: Record<string, string> = {};
    for (const [api, params] of Object.entries(cases)) {
      const rows = market.query(api as keyof typeof cases, params);
      const columns = endpoint(api).fields.map((f) => f.tushareName ?? f.name);
      csv[`${api}.csv`] = toCsv(rows, columns);
      jsonl[`${api}.jsonl`] = toJsonl(rows);
    }
    for (const files of [csv, jsonl]) {
      const recorded = await openRecordedDataset(await folder(files));
      expect(recorded.kind).toBe('recorded');
      for (const [api, params] of Object.entries(cases)) {
        const name = api as keyof typeof cases;
        expect(recorded.supports(name)).toBe(true);
        expect(recorded.query(name, params), api).toEqual(market.query(name, params));
      }
      // The same filters narrow it further.
      expect(recorded.query('daily', { trade_date: '20240105', ts_code: '000001.SZ' })).toEqual(
        market.query('daily', { trade_date: '20240105', ts_code: '000001.SZ' }),
      );
      expect(recorded.query('daily', {})).toEqual(market.query('daily', { trade_date: '20240131' }));
      expect(recorded.supports('fut_daily')).toBe(false);
      expect(recorded.query('fut_daily', { trade_date: '20240105' })).toEqual([]);
    }
  });

  it('reads RFC 4180 CSV: quotes, doubled quotes, line breaks in fields, CRLF, a BOM, empty as null', async () => {
    const text =
      '\uFEFFts_code,name,area,industry,list_date,list_status,extra\r\n' +
      '000001.SZ,"平安,银行","深""圳""",,19910403,L,"a\nb"\r\n' +
      '\r\n' +
      '600000.SH,浦发银行,上海,"",19991110,"L",7\n';
    const ds = await openRecordedDataset(await folder({ 'stock_basic.csv': text }));
    const rows = ds.query('stock_basic', {});
    expect(rows.map((r) => r.ts_code)).toEqual(['000001.SZ', '600000.SH']);
    const first = rows[0] as WireRow;
    expect(first.name).toBe('平安,银行');
    expect(first.area).toBe('深"圳"');
    expect(first.industry).toBeNull();
    expect(first.extra).toBe('a\nb');
    expect(rows[1]?.industry).toBeNull();
    expect(rows[1]?.extra).toBe('7');
    // Catalog columns the file lacks are served as null, in catalog order, extra columns after.
    const catalogColumns = endpoint('stock_basic').fields.map((f) => f.tushareName ?? f.name);
    expect(Object.keys(first)).toEqual([...catalogColumns, 'extra']);
    expect(first.delist_date).toBeNull();
  });

  it('serves older output lacking a column a default filters on unfiltered, with a warning naming file and column', async () => {
    // A 2019 stock_basic export: no list_status (nor exchange) column.
    const dir = await folder({
      'stock_basic.csv':
        'ts_code,symbol,name,list_date\n000001.SZ,000001,平安银行,19910403\n600000.SH,600000,浦发银行,19991110\n',
      'fund_basic.jsonl': `${JSON.stringify({ ts_code: '510300.SH', name: '300ETF' })}\n`,
    });
    const warnings: string[] = [];
    const ds = await openRecordedDataset(dir, { warn: (m) => warnings.push(m) });
    const codes = (rows: readonly WireRow[]) => rows.map((r) => r.ts_code);
    // Asked as Tushare's default asks (list_status L), or as the fetcher's slices ask: L has them all.
    expect(codes(ds.query('stock_basic', {}))).toEqual(['000001.SZ', '600000.SH']);
    expect(codes(ds.query('stock_basic', { list_status: 'L' }))).toEqual(['000001.SZ', '600000.SH']);
    expect(codes(ds.query('stock_basic', { list_status: 'D' }))).toEqual([]);
    // A filter without a default does not apply to a column the file lacks.
    expect(codes(ds.query('stock_basic', { exchange: 'SSE' }))).toEqual(['000001.SZ', '600000.SH']);
    expect(codes(ds.query('fund_basic', {}))).toEqual(['510300.SH']);
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^recorded file ${join(dir, 'stock_basic.csv')} has no column list_status .*list_status=L \\(the default\\)`,
        ),
      ),
      expect.stringMatching(/stock_basic\.csv has no column exchange .*served unfiltered/),
      expect.stringMatching(/fund_basic\.jsonl has no column market .*market=E \(the default\)/),
    ]);
    // Once per file and column, not per query.
    ds.query('stock_basic', { list_status: 'P' });
    expect(warnings).toHaveLength(3);
  });

  it('types values by the catalog: numbers for float and int, strings otherwise', async () => {
    const dir = await folder({
      'trade_cal.jsonl': [
        JSON.stringify({ exchange: 'SSE', cal_date: '20240105', is_open: 1, pretrade_date: '20240104' }),
        JSON.stringify({ exchange: 'SSE', cal_date: 20240106, is_open: '0', pretrade_date: '20240105' }),
      ].join('\r\n'),
      'daily.csv': `${DAILY_HEADER}\n000001.SZ,20240105,9.2,9.28,9.15,9.22,9.19,0.03,0.33,1043210.5,963321.6\n`,
    });
    const ds = await openRecordedDataset(dir);
    expect(ds.query('trade_cal', {})).toEqual([
      { exchange: 'SSE', cal_date: '20240106', is_open: '0', pretrade_date: '20240105' },
      { exchange: 'SSE', cal_date: '20240105', is_open: '1', pretrade_date: '20240104' },
    ]);
    const bar = ds.query('daily', {})[0] as WireRow;
    expect(bar.close).toBe(9.22);
    expect(bar.vol).toBe(1043210.5);
    expect(bar.trade_date).toBe('20240105');
  });

  it('filters a recorded freq column of minute bars', async () => {
    const lines = [
      {
        ts_code: 'A.SH',
        trade_time: '2024-01-05 09:35:00',
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        vol: 5,
        amount: 5,
        freq: '5min',
      },
      {
        ts_code: 'A.SH',
        trade_time: '2024-01-05 09:31:00',
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        vol: 1,
        amount: 1,
        freq: '1min',
      },
    ];
    const ds = await openRecordedDataset(await folder({ 'stk_mins.jsonl': toJsonl(lines) }));
    expect(
      ds
        .query('stk_mins', { ts_code: 'A.SH', freq: '1min', start_date: '20240105', end_date: '20240105' })
        .map((r) => r.vol),
    ).toEqual([1]);
  });

  it('ignores other files and refuses an unknown api_name or one recorded twice', async () => {
    const ds = await openRecordedDataset(await folder({ 'README.md': '# notes', 'daily.json': '{}' }));
    expect(ds.supports('daily')).toBe(false);
    expect((await openError({ 'dialy.csv': DAILY_HEADER })).message).toContain('dialy.csv');
    expect((await openError({ 'daily.csv': DAILY_HEADER, 'daily.jsonl': '' })).message).toContain('daily');
  });

  it('refuses a folder that cannot be read', async () => {
    await expect(openRecordedDataset(join(root, 'missing'))).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('malformed recorded files name the file and the line', () => {
  const row = '000001.SZ,20240105,9.2,9.28,9.15,9.22,9.19,0.03,0.33,100,92';
  const cases: [string, Record<string, string>, string, string][] = [
    [
      'a short record',
      { 'daily.csv': `${DAILY_HEADER}\n${row}\n000002.SZ,20240105,1\n` },
      'line 3',
      'expected 11 fields, found 3',
    ],
    [
      'an unclosed quote',
      { 'daily.csv': `${DAILY_HEADER}\n${row}\n"000002.SZ,20240105\n` },
      'line 3',
      'never closed',
    ],
    [
      'text after a closing quote',
      { 'daily.csv': `${DAILY_HEADER}\n"000001.SZ"x,20240105\n` },
      'line 2',
      'closing quote',
    ],
    ['a stray quote', { 'daily.csv': `${DAILY_HEADER}\n00"1.SZ,20240105\n` }, 'line 2', 'quote inside'],
    [
      'a number that is not',
      { 'daily.csv': `${DAILY_HEADER}\n${row.replace('9.22', 'n/a')}\n` },
      'line 2',
      "column close: 'n/a'",
    ],
    [
      'a bad date',
      { 'daily.csv': `${DAILY_HEADER}\n${row.replace('20240105', '2024-01-05')}\n` },
      'line 2',
      'YYYYMMDD',
    ],
    [
      'a duplicated header column',
      { 'daily.csv': `${DAILY_HEADER},close\n` },
      'line 1',
      "'close' appears twice",
    ],
    [
      'a missing key column',
      { 'daily.csv': 'ts_code,close\n000001.SZ,1\n' },
      'line 1',
      "key column 'trade_date'",
    ],
    ['an empty file', { 'daily.csv': '' }, 'line 1', 'no header'],
    [
      'a line that is not JSON',
      { 'shibor.jsonl': '{"date":"20240105","on":1}\n{"date":\n' },
      'line 2',
      'not JSON',
    ],
    ['a JSON array line', { 'shibor.jsonl': '\n[1,2]\n' }, 'line 2', 'JSON object'],
    [
      'a fractional int',
      {
        'fut_wsr.jsonl': `${JSON.stringify({ trade_date: '20240105', symbol: 'CU', warehouse: 'w', year: null, grade: null, brand: null, vol: 1.5 })}\n`,
      },
      'line 1',
      'not an integer',
    ],
    [
      'a nested value',
      { 'shibor.jsonl': '{"date":"20240105","on":{"v":1}}\n' },
      'line 1',
      'not a string or a number',
    ],
    [
      'a bad datetime',
      { 'stk_mins.jsonl': '{"ts_code":"A","trade_time":"20240105 09:31"}\n' },
      'line 1',
      'YYYY-MM-DD HH:MM:SS',
    ],
  ];

  it.each(cases)('%s', async (_, files, line, message) => {
    const error = await openError(files);
    const file = Object.keys(files)[0] as string;
    expect(error.message).toContain(file);
    expect(error.issues[0]?.path).toBe(line);
    expect(error.message).toContain(message);
  });
});

describe('csvRecords', () => {
  it('reports the line each record starts on, across quoted line breaks', () => {
    const records = [...csvRecords('a,b\n"x\ny",1\nz,2\n')];
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x\ny', '1'] },
      { line: 4, fields: ['z', '2'] },
    ]);
    expect([...csvRecords('a,\n,\n')]).toEqual([
      { line: 1, fields: ['a', ''] },
      { line: 2, fields: ['', ''] },
    ]);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xassetCli } from '../harness/cli.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

/** A 2019 `stock_basic` export, as a user has it: no `list_status` column (nor `exchange`). */
const STOCK_BASIC_2019 = `ts_code,symbol,name,area,industry,list_date
000001.SZ,000001,平安银行,深圳,银行,19910403
600000.SH,600000,浦发银行,上海,银行,19991110
`;

/** The week of 2019-03-04: every weekday open. */
const CALENDAR = [
  'exchange,cal_date,is_open,pretrade_date',
  ...['20190304', '20190305', '20190306', '20190307', '20190308'].map((d) => `SSE,${d},1,`),
].join('\n');

describe('recorded output that lacks a column today’s defaults filter on, through the CLI', () => {
  let db: IsolatedDatabase;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    dir = await mkdtemp(join(tmpdir(), 'xasset-recorded-2019-'));
    await writeFile(join(dir, 'stock_basic.csv'), STOCK_BASIC_2019);
    await writeFile(join(dir, 'trade_cal.csv'), CALENDAR);
    env = {
      XASSET_LOG: 'embedded',
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: dir,
      XASSET_SANDBOX_RECORDED_DIR: dir,
    };
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('is served unfiltered, stored, and warned about by file and column, not fetched as zero rows', async () => {
    const fetched = await xassetCli(
      [
        'fetch',
        '--sandbox',
        '--apis',
        'stock_basic',
        '--from',
        '20190304',
        '--to',
        '20190308',
        '--force-phase',
        'test: recorded 2019 reference data',
      ],
      env,
    );
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stderr).toContain(
      `xasset sandbox: warning: recorded file ${join(dir, 'stock_basic.csv')} has no column list_status (older Tushare output)`,
    );
    const report = JSON.parse(fetched.stdout) as { runs: { stats: { rowsEmitted: number } }[] };
    // Two stocks, once (the L slice; D and P have none), plus the five calendar days.
    expect(report.runs[0]?.stats.rowsEmitted).toBe(2 + 5);

    const processed = await xassetCli(['process'], env);
    expect(processed.code, processed.stderr).toBe(0);
    const { rows } = await db.pool.query<{ ts_code: string; name: string }>(
      `SELECT ts_code, name FROM instrument WHERE asset_class = 'stock' ORDER BY ts_code`,
    );
    expect(rows).toEqual([
      { ts_code: '000001.SZ', name: '平安银行' },
      { ts_code: '600000.SH', name: '浦发银行' },
    ]);
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../contracts/errors.js';
import { type AdjustedBar, readAdjustedBars } from '../../../projections/bars/adjusted.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';

const run = promisify(execFile);

/**
 * Real Tushare output for 000001.SZ (Ping An Bank) around its 2018-07-12 ex-dividend day, as
 * committed in public repositories (the shared recorded data names them). `daily` still has its 2018
 * column name `pct_change`, so pct_chg is served as null, as it would be from that recording.
 */
const DAILY = `ts_code,trade_date,open,high,low,close,pre_close,change,pct_change,vol,amount
000001.SZ,20180713,8.92,8.94,8.82,8.88,8.88,0.0,0.0,603378.21,535401.175
000001.SZ,20180712,8.6,8.97,8.58,8.88,8.64,0.24,2.78,1140492.31,1008658.828
000001.SZ,20180711,8.76,8.83,8.68,8.78,8.98,-0.2,-2.23,851296.7,744765.824
000001.SZ,20180710,9.02,9.02,8.89,8.98,9.03,-0.05,-0.55,896862.02,803038.965
`;
const ADJ_FACTOR = [
  ['20180713', 108.031],
  ['20180712', 108.031],
  ['20180711', 106.309],
  ['20180710', 106.309],
]
  .map(([day, f]) => JSON.stringify({ ts_code: '000001.SZ', trade_date: day, adj_factor: f }))
  .join('\n');
/** July 2018 had no exchange holiday: every weekday was open. */
function july2018Calendar(): string {
  const lines = ['exchange,cal_date,is_open'];
  for (let d = 1; d <= 31; d++) {
    const weekday = new Date(Date.UTC(2018, 6, d)).getUTCDay();
    lines.push(`SSE,201807${String(d).padStart(2, '0')},${weekday === 0 || weekday === 6 ? 0 : 1}`);
  }
  return lines.join('\n');
}

async function xasset(args: string[], env: Record<string, string>) {
  const { stdout } = await run(process.execPath, ['bin/xasset.js', ...args], {
    env: { ...process.env, XASSET_LOG_LEVEL: 'warn', ...env },
    timeout: 120_000,
  });
  return stdout;
}

const closes = (bars: readonly AdjustedBar[]) => bars.map((b) => [b.tradeDate, b.close]);

describe('adjusted bars from market_bar and adj_factor, fetched from recorded Tushare output', () => {
  let db: IsolatedDatabase;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    dir = await mkdtemp(join(tmpdir(), 'xasset-adj-'));
    await writeFile(join(dir, 'daily.csv'), DAILY);
    await writeFile(join(dir, 'adj_factor.jsonl'), ADJ_FACTOR);
    await writeFile(join(dir, 'trade_cal.csv'), july2018Calendar());
    env = {
      XASSET_LOG: 'embedded',
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: dir,
      XASSET_SANDBOX_RECORDED_DIR: dir,
    };
    const range = ['--from', '20180710', '--to', '20180713'];
    // A fresh store is in phase A: the backfill is forced past the phase rules, reason recorded.
    const forced = ['--force-phase', 'adjusted bars test backfill'];
    await xasset(['fetch', '--sandbox', '--apis', 'daily,adj_factor', ...range, ...forced], env);
    await xasset(['process'], env);
  }, 240_000);

  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores the factors in their own table', async () => {
    const { rows } = await db.pool.query(
      `SELECT to_char(trade_date, 'YYYYMMDD') AS day, adj_factor FROM adj_factor ORDER BY trade_date`,
    );
    expect(rows).toEqual([
      { day: '20180710', adj_factor: 106.309 },
      { day: '20180711', adj_factor: 106.309 },
      { day: '20180712', adj_factor: 108.031 },
      { day: '20180713', adj_factor: 108.031 },
    ]);
  });

  it('xasset bars --adjust qfq equals hand-computed values across the ex-dividend day', async () => {
    const bars = JSON.parse(
      await xasset(['bars', '000001.SZ', '--from', '20180710', '--to', '20180713', '--adjust', 'qfq'], env),
    ) as AdjustedBar[];
    // Anchored at 20180713 (factor 108.031): days before the ex-dividend day × 106.309 / 108.031.
    // 8.98 × 106.309 / 108.031 = 8.836860, 8.78 × 106.309 / 108.031 = 8.640048.
    expect(bars.map((b) => b.tradeDate)).toEqual(['20180710', '20180711', '20180712', '20180713']);
    const [d10, d11, d12, d13] = bars as [AdjustedBar, AdjustedBar, AdjustedBar, AdjustedBar];
    expect(d10.close).toBeCloseTo(8.83686, 5);
    expect(d10.open).toBeCloseTo(8.876222, 5); // 9.02 × 106.309 / 108.031
    expect(d11.close).toBeCloseTo(8.640048, 5);
    // From the ex-dividend day on, the anchor's own factor: the stored prices.
    expect(d12.close).toBe(8.88);
    expect(d12.preClose).toBe(8.64);
    expect(d13.close).toBe(8.88);
    // Adjusted, the dividend gap is gone: 20180711's close meets 20180712's ex-rights reference.
    expect(d11.close as number).toBeCloseTo(d12.preClose as number, 3);
    expect(d12.change).toBeCloseTo(0.24, 9);
    expect(d10.vol).toBe(896862.02 * 100); // volumes are not adjusted (stored in shares)
  });

  it('hfq multiplies by the day factor; qfq anchored before the ex-day leaves the earlier days as stored', async () => {
    const hfq = await readAdjustedBars(db.pool, {
      how: 'hfq',
      from: '20180710',
      to: '20180713',
      tsCode: '000001.SZ',
    });
    // 8.98 × 106.309 = 954.65482; 8.78 × 106.309 = 933.39302; 8.88 × 108.031 = 959.31528.
    expect(hfq.map((b) => b.close)).toEqual([
      expect.closeTo(954.65482, 6),
      expect.closeTo(933.39302, 6),
      expect.closeTo(959.31528, 6),
      expect.closeTo(959.31528, 6),
    ]);
    expect(hfq[2]?.preClose).toBeCloseTo(933.38784, 6); // 8.64 × 108.031
    const early = await readAdjustedBars(db.pool, { how: 'qfq', from: '20180710', to: '20180711' });
    expect(closes(early)).toEqual([
      ['20180710', 8.98],
      ['20180711', 8.78],
    ]);
    const none = await readAdjustedBars(db.pool, { how: 'none', from: '20180710', to: '20180713' });
    expect(closes(none)).toEqual([
      ['20180710', 8.98],
      ['20180711', 8.78],
      ['20180712', 8.88],
      ['20180713', 8.88],
    ]);
  });

  it('leaves a bar without a published factor unadjusted-unknown (null), and refuses a bad query', async () => {
    await db.pool.query(`DELETE FROM adj_factor WHERE trade_date = '2018-07-13'`);
    const bars = await readAdjustedBars(db.pool, { how: 'hfq', from: '20180712', to: '20180713' });
    expect(bars.map((b) => [b.tradeDate, b.adjFactor, b.close])).toEqual([
      ['20180712', 108.031, expect.closeTo(959.31528, 6)],
      ['20180713', null, null],
    ]);
    await expect(
      readAdjustedBars(db.pool, { how: 'fq' as 'qfq', from: '20180712', to: '20180713' }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      db.pool.query(`SELECT * FROM adjusted_bars('x', '2018-07-12', '2018-07-13')`),
    ).rejects.toThrow(/qfq, hfq or none/);
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, setUp } from '../../app/runtime.js';
import { loadConfig } from '../../contracts/config.js';
import type { ControlEvent } from '../../contracts/events/control.js';
import { appendControl, newControlEvent } from '../../projections/log/control-log.js';
import type { MatrixCell } from '../../projections/matrix/cell.js';
import { expectedBars } from '../../projections/matrix/minutes.js';
import { kafkaCliEnv, xassetCliJson } from '../harness/cli.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

/** Friday to Tuesday: Monday's futures night session is held on Friday evening, the weekend is closed. */
const FROM = '20260109';
const TO = '20260113';
const OPEN = ['20260109', '20260112', '20260113'];
const WEEKEND = ['20260110', '20260111'];
const MINUTES = ['stk_mins', 'idx_mins', 'ft_mins'];

/**
 * The minute modules of the status matrix through the real CLI on Kafka, the registry and
 * PostgreSQL: the daily job fetches three trading days of minute history from the sandbox at the
 * modules' gray stages, and `xasset matrix` shows each module-day complete against the bars the
 * day's gray pool owes by the sessions; bars deleted make a day partial, and `explain` names the
 * instrument and how many bars it lacks; an instrument outside the pool, and a day whose stage
 * fetches nothing, are not applicable with the reason.
 */
describe('xasset matrix: minute modules against the gray pools, through the CLI on Kafka', () => {
  let db: IsolatedDatabase;
  let env: Record<string, string>;
  let stateDir: string;

  const xasset = async (args: string[]) => {
    const out = await xassetCliJson(args, env, 600_000);
    // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON reports, read field by field
    return { ...out, json: out.json as any };
  };
  const matrix = async (extra: string[] = []): Promise<MatrixCell[]> => {
    const out = await xasset([
      'matrix',
      '--from',
      FROM,
      '--to',
      TO,
      '--modules',
      MINUTES.join(','),
      ...extra,
    ]);
    expect(out.code, out.stderr).toBe(0);
    return out.json.cells;
  };
  const cellOf = (cells: MatrixCell[], module: string, day: string, target = 'universe') =>
    cells.find((c) => c.module === module && c.tradeDate === day && c.target === target) as MatrixCell;
  /** Control events appended as of a chosen time, as the phase machine or the evaluator would have. */
  const append = async (events: ControlEvent[]) => {
    const runtime = await openRuntime(loadConfig(env));
    try {
      await setUp(runtime);
      await appendControl({ log: runtime.log, codec: runtime.codec }, events);
    } finally {
      await runtime.close();
    }
  };
  const storedCodes = async (assetClass: string, day: string): Promise<string[]> =>
    (
      await db.pool.query<{ ts_code: string }>(
        `SELECT DISTINCT ts_code FROM minute_bar WHERE asset_class = $1 AND trade_date = to_date($2, 'YYYYMMDD')
         ORDER BY ts_code`,
        [assetClass, day],
      )
    ).rows.map((r) => r.ts_code);
  const barCount = async (code: string, day: string): Promise<number> =>
    Number(
      (
        await db.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM minute_bar WHERE ts_code = $1 AND trade_date = to_date($2, 'YYYYMMDD')`,
          [code, day],
        )
      ).rows[0]?.n,
    );

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-minute-matrix-'));
    env = kafkaCliEnv({ schema: db.schema, stateDir, topicPrefix: `mm${randomBytes(3).toString('hex')}.` });
    // This test is about the matrix, not the phase machine: the store is in phase D, where P2 runs,
    // since before the days it measures (the matrix judges each day by the phase in force on it).
    const now = Date.parse('2026-01-02T09:00:00+08:00');
    await append(
      (
        [
          ['A', 'B', 'foundation'],
          ['B', 'C', 'p0'],
          ['C', 'D', 'p1'],
        ] as const
      ).map(([from, to, gate]) =>
        newControlEvent('PhaseAdvanced', { from, to, gate }, { actor: 'test', now }),
      ),
    );
  });
  afterAll(async () => {
    await db?.drop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('shows each minute module-day against its gray pool, partial with the instrument named, and n/a with the reason', async () => {
    // On a fresh store the minute modules are listed, and nothing of them applies yet.
    const before = await matrix();
    expect(new Set(before.map((c) => c.module))).toEqual(new Set(MINUTES));
    expect(before.every((c) => c.status === 'not_applicable' && c.grayStage === null)).toBe(true);
    const all = await xasset(['matrix', '--from', FROM, '--to', TO]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.json.modules).toEqual(expect.arrayContaining(['daily', ...MINUTES]));

    // Stocks at canary (a share of the pool), indexes and futures at full; the job fetches the range.
    for (const [module, stage] of [
      ['p2RealtimeEquityEtfV1', 'canary'],
      ['p2RealtimeIndexV1', 'full'],
      ['p2FuturesMicrostructureV1', 'full'],
    ]) {
      const set = await xasset(['gray', 'set', module as string, stage as string, '--reason', 'matrix test']);
      expect(set.code, set.stderr).toBe(0);
    }
    const fetched = await xasset(['fetch', '--sandbox', '--from', FROM, '--to', TO]);
    expect(fetched.code, fetched.stderr.slice(-3_000)).toBe(0);
    const ran = fetched.json.runs.map((r: { stage: string; status: string }) => [r.stage, r.status]);
    expect(ran).toEqual(
      expect.arrayContaining([
        ['p2RealtimeEquityEtfV1', 'ok'],
        ['p2RealtimeIndexV1', 'ok'],
        ['p2FuturesMicrostructureV1', 'ok'],
      ]),
    );
    const processed = await xasset(['process']);
    expect(processed.code, processed.stderr).toBe(0);

    // Every open day of every module is complete: each instrument of the pool has every bar it owes.
    const cells = await matrix();
    expect(cells).toHaveLength(MINUTES.length * (OPEN.length + WEEKEND.length));
    for (const module of MINUTES) {
      for (const day of WEEKEND)
        expect(cellOf(cells, module, day)).toMatchObject({
          status: 'not_applicable',
          reason: 'market closed',
        });
      for (const day of OPEN) {
        const cell = cellOf(cells, module, day);
        expect(cell, `${module} ${day}`).toMatchObject({ status: 'complete', coverage: 1, freq: '1min' });
        expect(cell.instruments).toBeGreaterThan(0);
        expect(cell.got).toBe(cell.expected);
      }
    }
    const stocks = await storedCodes('stock', '20260112');
    const stkCell = cellOf(cells, 'stk_mins', '20260112');
    expect(stkCell).toMatchObject({ grayStage: 'canary', instruments: stocks.length });
    expect(stkCell.expected).toBe(stocks.length * (expectedBars('stock', null, '1min') as number));
    expect(await barCount(stocks[0] as string, '20260112')).toBe(241);
    // A SHFE contract's Monday holds the night session from Friday 21:00 to Saturday 01:00: 240 of its 465 bars.
    const copper = (await storedCodes('futures', '20260112')).find((c) => c.startsWith('CU')) as string;
    expect(copper).toBeDefined();
    expect(await barCount(copper, '20260112')).toBe(465);
    const { rows: night } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM minute_bar WHERE ts_code = $1 AND trade_date = DATE '2026-01-12'
         AND trade_time < TIMESTAMPTZ '2026-01-12 00:00:00+08'`,
      [copper],
    );
    expect(Number(night[0]?.n)).toBe(240);

    // The canary holds a share of the stocks: one trading every day but outside it is not expected.
    const gray = await xasset(['gray', 'show', '--json']);
    const stkPool = gray.json.modules
      .find((m: { module: string }) => m.module === 'p2RealtimeEquityEtfV1')
      .pools.find((p: { apiName: string }) => p.apiName === 'stk_mins');
    expect(stkPool.fetched).toBe(stocks.length);
    expect(stkPool.members).toBeGreaterThan(stocks.length);
    const { rows: outside } = await db.pool.query<{ ts_code: string }>(
      `SELECT ts_code FROM instrument i WHERE asset_class = 'stock' AND NOT (ts_code = ANY($1::text[]))
         AND delist_date IS NULL AND (list_date IS NULL OR list_date <= DATE '2026-01-09')
         AND NOT EXISTS (SELECT 1 FROM suspension s WHERE s.ts_code = i.ts_code
                           AND s.trade_date BETWEEN DATE '2026-01-09' AND DATE '2026-01-13')
       ORDER BY ts_code LIMIT 1`,
      [stocks],
    );
    const stranger = outside[0]?.ts_code as string;
    expect(stranger).toBeDefined();
    const strangerCells = await matrix(['--target', stranger]);
    expect(cellOf(strangerCells, 'stk_mins', '20260112', stranger)).toMatchObject({
      status: 'not_applicable',
      reason: 'not in the gray pool at stage canary',
      expected: 0,
    });
    // An index is no instrument of the stock module.
    expect(cellOf(strangerCells, 'idx_mins', '20260112', stranger)).toMatchObject({
      status: 'not_applicable',
      reason: "not an instrument of this module's asset class",
    });

    // 10 bars of one stock go missing on Monday: the day is partial and explain names the stock.
    const victim = stocks[0] as string;
    const deleted = await db.pool.query(
      `DELETE FROM minute_bar WHERE (asset_class, ts_code, freq, trade_time) IN (
         SELECT asset_class, ts_code, freq, trade_time FROM minute_bar
         WHERE ts_code = $1 AND trade_date = DATE '2026-01-12' ORDER BY trade_time LIMIT 10)`,
      [victim],
    );
    expect(deleted.rowCount).toBe(10);
    const partial = await matrix();
    expect(cellOf(partial, 'stk_mins', '20260112')).toMatchObject({
      status: 'partial',
      expected: stkCell.expected,
      got: stkCell.expected - 10,
      instrumentsShort: 1,
    });
    expect(cellOf(partial, 'stk_mins', '20260109').status).toBe('complete');
    const explained = await xasset(['matrix', 'explain', 'stk_mins', '20260112']);
    expect(explained.code, explained.stderr).toBe(0);
    expect(explained.json).toMatchObject({
      status: 'partial',
      grayStage: 'canary',
      missingSample: [victim],
      missingBars: [{ tsCode: victim, expected: 241, got: 231, missing: 10 }],
    });
    const mine = await xasset(['matrix', 'explain', 'stk_mins', '20260112', '--target', victim]);
    expect(mine.json).toMatchObject({
      status: 'partial',
      expected: 241,
      got: 231,
      missingBars: [{ tsCode: victim, missing: 10 }],
    });

    // The futures module went back to probe on Tuesday morning: that day fetches nothing, the days
    // before keep their stage.
    await append([
      newControlEvent(
        'GrayStageChanged',
        {
          module: 'p2FuturesMicrostructureV1',
          from: 'full',
          to: 'probe',
          action: 'set',
          share: 0,
          allowList: [],
          reason: 'matrix test: back to probe',
          evidence: [],
        },
        { actor: 'test', now: Date.parse('2026-01-13T08:00:00+08:00') },
      ),
    ]);
    const after = await matrix();
    expect(cellOf(after, 'ft_mins', '20260113')).toMatchObject({
      status: 'not_applicable',
      reason: 'gray stage probe: nothing is fetched',
      grayStage: 'probe',
    });
    expect(cellOf(after, 'ft_mins', '20260112')).toMatchObject({ status: 'complete', grayStage: 'full' });
    const probed = await xasset(['matrix', 'explain', 'ft_mins', '20260113', '--target', copper]);
    expect(probed.json).toMatchObject({
      status: 'not_applicable',
      notApplicableReason: 'gray stage probe: nothing is fetched',
      missingBars: [],
    });

    // A target that is no instrument is still the caller's mistake.
    const unknown = await xasset(['matrix', '--from', FROM, '--to', TO, '--target', 'NOPE.XX']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('not an instrument in the store: NOPE.XX');
  }, 1_800_000);
});

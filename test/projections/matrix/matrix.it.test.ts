import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../contracts/errors.js';
import { DEFAULT_FLAGS, type RolloutFlags } from '../../../contracts/flags.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { readExplainContext } from '../../../projections/matrix/context-sql.js';
import { computeMatrix, explainCell, type Matrix } from '../../../projections/matrix/matrix.js';
import type { PhaseRecord } from '../../../projections/policy/switches.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';

let db: IsolatedDatabase;

const ETF_BULK = Array.from({ length: 25 }, (_, i) => `5100${String(i + 10).padStart(2, '0')}.SH`);

async function insertInstruments(rows: [string, string, string | null, string | null][]): Promise<void> {
  for (const [assetClass, tsCode, listDate, delistDate] of rows) {
    await db.pool.query(
      `INSERT INTO instrument (asset_class, ts_code, list_date, delist_date, content_hash)
       VALUES ($1, $2, to_date($3, 'YYYYMMDD'), to_date($4, 'YYYYMMDD'), '\\x00')`,
      [assetClass, tsCode, listDate, delistDate],
    );
  }
}

async function insertRows(
  table: 'market_bar' | 'daily_basic',
  rows: [string, string, string][],
): Promise<void> {
  for (const [assetClass, tsCode, date] of rows) {
    if (table === 'market_bar') {
      await db.pool.query(
        `INSERT INTO market_bar (asset_class, ts_code, trade_date, close, content_hash, source_topic, source_partition, source_offset)
         VALUES ($1, $2, to_date($3, 'YYYYMMDD'), 10, '\\x01', 'tushare.raw.test', 0, 0)`,
        [assetClass, tsCode, date],
      );
    } else {
      await db.pool.query(
        `INSERT INTO daily_basic (ts_code, trade_date, content_hash) VALUES ($1, to_date($2, 'YYYYMMDD'), '\\x01')`,
        [tsCode, date],
      );
    }
  }
}

const cellOf = (matrix: Matrix, target: string, module: string, tradeDate: string) => {
  const found = matrix.cells.find(
    (c) => c.target === target && c.module === module && c.tradeDate === tradeDate,
  );
  if (!found) throw new Error(`no cell ${target} ${module} ${tradeDate}`);
  return found;
};

// The machine PostgreSQL 15, and the embedded default store (PGlite with the time-series tables as hypertables).
describe.each([
  ['PostgreSQL 15', () => services().postgresUrl, 4],
  ['PGlite with TimescaleDB', () => services().timescaleUrl, 1],
] as const)('status matrix on %s', (_name, url, poolSize) => {
  beforeAll(async () => {
    db = await isolatedSchema(url(), { poolSize });
    await migrate(db.pool, { schema: db.schema });
    // SSE: 11–13 February 2026 open, the weekend and the Spring Festival Monday closed; no row for the 17th.
    for (const [day, open] of [
      ['20260211', true],
      ['20260212', true],
      ['20260213', true],
      ['20260214', false],
      ['20260215', false],
      ['20260216', false],
    ] as const) {
      await db.pool.query(
        `INSERT INTO trade_calendar (exchange, cal_date, is_open) VALUES ('SSE', to_date($1, 'YYYYMMDD'), $2)`,
        [day, open],
      );
    }
    await insertInstruments([
      ['stock', '000001.SZ', '19910403', null],
      ['stock', '000002.SZ', '19910129', null],
      ['stock', '600000.SH', '19991110', null],
      ['stock', '688999.SH', '20260212', null], // lists on the 12th
      ['stock', '000003.SZ', '19910101', '20260212'], // off the market from the 12th
      ['futures', 'CU2602.SHF', '20250201', '20260212'], // last trading day the 12th
      ['futures', 'CU2603.SHF', '20250301', '20260213'],
      ['etf', '510300.SH', '20120528', null],
      ...ETF_BULK.map((code): [string, string, string, null] => ['etf', code, '20200101', null]),
    ]);
    await insertRows('market_bar', [
      ['stock', '000001.SZ', '20260211'],
      ['stock', '000002.SZ', '20260211'],
      ['stock', '600000.SH', '20260211'],
      ['stock', '000003.SZ', '20260211'],
      // The 12th: 000002.SZ suspended, and a row for the delisted 000003.SZ the reference data does not list.
      ['stock', '000001.SZ', '20260212'],
      ['stock', '600000.SH', '20260212'],
      ['stock', '688999.SH', '20260212'],
      ['stock', '000003.SZ', '20260212'],
      // Nothing stored for stocks on the 13th; a stray row on the closed 14th.
      ['stock', '000001.SZ', '20260214'],
      ['futures', 'CU2602.SHF', '20260212'],
      ['futures', 'CU2603.SHF', '20260213'],
    ]);
    await insertRows('daily_basic', [['stock', '000001.SZ', '20260211']]);
  });

  afterAll(async () => {
    await db?.drop();
  });

  /** Every phase open: the matrix as the flags alone make it. */
  const ALL_OPEN: PhaseRecord = { phase: 'E', frozen: false };

  describe('computeMatrix, from the stored rows', () => {
    it('classifies the universe per module and day: complete, partial, missing and the not-applicable kinds', async () => {
      const matrix = await computeMatrix(db.pool, {
        target: 'universe',
        modules: ['daily', 'fut_daily', 'fund_daily', 'daily_basic'],
        from: '20260211',
        to: '20260217',
        flags: DEFAULT_FLAGS,
        phase: ALL_OPEN,
      });
      expect(matrix.cells).toHaveLength(4 * 7);
      const daily = (day: string) => cellOf(matrix, 'universe', 'daily', day);

      expect(daily('20260211')).toMatchObject({
        status: 'complete',
        expected: 4,
        got: 4,
        coverage: 1,
        unlisted: 0,
      });
      // Listed on the 12th: 000001, 000002, 600000 and the new 688999; 000003 is off the market.
      expect(daily('20260212')).toMatchObject({
        status: 'partial',
        expected: 4,
        got: 3,
        coverage: 0.75,
        unlisted: 1,
      });
      expect(daily('20260213')).toMatchObject({ status: 'missing', expected: 4, got: 0, coverage: 0 });
      expect(daily('20260214')).toMatchObject({
        status: 'not_applicable',
        coverage: null,
        reason: 'market closed',
      });
      expect(daily('20260216').reason).toBe('market closed');
      expect(daily('20260217')).toMatchObject({
        status: 'not_applicable',
        reason: 'no trading calendar for this day',
      });

      // Futures: the delist date is the last trading day, so CU2602 counts on the 12th, not the 13th.
      expect(cellOf(matrix, 'universe', 'fut_daily', '20260212')).toMatchObject({
        status: 'partial',
        expected: 2,
        got: 1,
      });
      expect(cellOf(matrix, 'universe', 'fut_daily', '20260213')).toMatchObject({
        status: 'complete',
        expected: 1,
        got: 1,
      });
      expect(cellOf(matrix, 'universe', 'fund_daily', '20260211')).toMatchObject({
        status: 'missing',
        expected: 26,
      });

      // daily_basic is a recovery module, off in the baseline flags, whatever is stored.
      expect(cellOf(matrix, 'universe', 'daily_basic', '20260211')).toMatchObject({
        status: 'not_applicable',
        reason: 'switched off',
      });

      expect(matrix.summary.byModule.daily).toEqual({
        complete: 1,
        partial: 1,
        missing: 1,
        not_applicable: 4,
        coverage: 7 / 12,
      });
      // daily_basic on all 7 days; the other three on the 14th–17th (closed, or no calendar).
      expect(matrix.summary.byStatus.not_applicable).toBe(7 + 3 * 4);
    });

    it('given the recovery module switched on, then its cells are judged like any other', async () => {
      const flags: RolloutFlags = { ...DEFAULT_FLAGS, universeDailyBasicEnabled: true };
      const matrix = await computeMatrix(db.pool, {
        target: 'universe',
        modules: ['daily_basic'],
        from: '20260211',
        to: '20260212',
        flags,
        phase: ALL_OPEN,
      });
      expect(matrix.cells.map((c) => [c.tradeDate, c.status, c.expected, c.got])).toEqual([
        ['20260211', 'partial', 4, 1],
        ['20260212', 'missing', 4, 0],
      ]);
    });

    it('classifies symbol targets by their own listing: not yet listed, delisted, suspended, not of the asset class', async () => {
      const matrix = await computeMatrix(db.pool, {
        target: ['688999.SH', '000003.SZ', '000002.SZ'],
        modules: ['daily', 'fut_daily'],
        from: '20260211',
        to: '20260213',
        flags: DEFAULT_FLAGS,
        phase: ALL_OPEN,
      });
      expect(matrix.cells).toHaveLength(3 * 2 * 3);
      expect(cellOf(matrix, '688999.SH', 'daily', '20260211')).toMatchObject({
        status: 'not_applicable',
        reason: 'not listed on this day',
      });
      expect(cellOf(matrix, '688999.SH', 'daily', '20260212')).toMatchObject({
        status: 'complete',
        expected: 1,
        got: 1,
      });
      expect(cellOf(matrix, '688999.SH', 'daily', '20260213')).toMatchObject({
        status: 'missing',
        coverage: 0,
      });
      expect(cellOf(matrix, '000003.SZ', 'daily', '20260211').status).toBe('complete');
      // Delisted: not applicable even though a row is stored.
      expect(cellOf(matrix, '000003.SZ', 'daily', '20260212')).toMatchObject({
        status: 'not_applicable',
        reason: 'not listed on this day',
        got: 0,
      });
      expect(cellOf(matrix, '000002.SZ', 'daily', '20260212')).toMatchObject({
        status: 'missing',
        expected: 1,
        got: 0,
      });
      expect(cellOf(matrix, '000002.SZ', 'fut_daily', '20260212')).toMatchObject({
        status: 'not_applicable',
        reason: "not an instrument of this module's asset class",
      });
    });

    it('refuses malformed ranges, unknown modules and empty target lists', async () => {
      const base = {
        target: 'universe' as const,
        from: '20260211',
        to: '20260213',
        flags: DEFAULT_FLAGS,
        phase: ALL_OPEN,
      };
      await expect(computeMatrix(db.pool, { ...base, from: '20260230' })).rejects.toThrow(ValidationError);
      await expect(computeMatrix(db.pool, { ...base, from: '20260214' })).rejects.toThrow(ValidationError);
      await expect(computeMatrix(db.pool, { ...base, to: '20270301' })).rejects.toThrow(ValidationError);
      await expect(computeMatrix(db.pool, { ...base, modules: ['rt_min'] })).rejects.toThrow(ValidationError);
      await expect(computeMatrix(db.pool, { ...base, target: [] })).rejects.toThrow(ValidationError);
      // A name that is no instrument (a module passed as a target) is refused, not a grid of n/a.
      await expect(computeMatrix(db.pool, { ...base, target: ['daily'] })).rejects.toThrow(
        /not an instrument in the store: daily/,
      );
    });

    it('leaves a stock suspended all day out of what is expected, and explains its cell as suspended', async () => {
      const suspend = (code: string, timing: string | null) =>
        db.pool.query(
          `INSERT INTO suspension (ts_code, trade_date, suspend_type, suspend_timing, content_hash)
           VALUES ($1, to_date('20260212', 'YYYYMMDD'), 'S', $2, '\\x01')`,
          [code, timing],
        );
      await suspend('000002.SZ', null);
      // Suspended for half an hour only: it still trades that day, so its bar is due.
      await suspend('688999.SH', '09:30-10:00');
      try {
        const query = {
          from: '20260212',
          to: '20260212',
          modules: ['daily'],
          flags: DEFAULT_FLAGS,
          phase: ALL_OPEN,
        };
        const universe = await computeMatrix(db.pool, { ...query, target: 'universe' });
        expect(cellOf(universe, 'universe', 'daily', '20260212')).toMatchObject({
          status: 'complete',
          expected: 3,
          got: 3,
          coverage: 1,
          suspended: 1,
        });
        const symbols = await computeMatrix(db.pool, { ...query, target: ['000002.SZ', '688999.SH'] });
        expect(cellOf(symbols, '000002.SZ', 'daily', '20260212')).toMatchObject({
          status: 'not_applicable',
          reason: 'suspended',
        });
        expect(cellOf(symbols, '688999.SH', 'daily', '20260212').status).toBe('complete');
        const explained = await explainCell(
          db.pool,
          { target: '000002.SZ', module: 'daily', tradeDate: '20260212' },
          { flags: DEFAULT_FLAGS, phase: ALL_OPEN },
        );
        expect(explained).toMatchObject({ status: 'not_applicable', notApplicableReason: 'suspended' });
      } finally {
        await db.pool.query('DELETE FROM suspension');
      }
    });
  });

  describe('pools', () => {
    // A pool of two of the 26 ETFs (one stored) and a code the reference does not list.
    const pools = { fund_daily: ['510300.SH', '510010.SH', '999999.SH'] };

    it('measures a pooled module against its pool, not the whole listed universe', async () => {
      await insertRows('market_bar', [
        ['etf', '510300.SH', '20260211'],
        ['etf', '510011.SH', '20260211'],
      ]);
      const query = {
        target: 'universe',
        modules: ['fund_daily', 'daily'],
        from: '20260211',
        to: '20260211',
      } as const;
      const pooled = await computeMatrix(db.pool, { ...query, flags: DEFAULT_FLAGS, phase: ALL_OPEN, pools });
      // Two pool members listed, one stored; the stored row outside the pool does not count.
      expect(cellOf(pooled, 'universe', 'fund_daily', '20260211')).toMatchObject({
        status: 'partial',
        expected: 2,
        got: 1,
        coverage: 0.5,
        unlisted: 0,
      });
      // A module without a pool keeps the universe.
      expect(cellOf(pooled, 'universe', 'daily', '20260211')).toMatchObject({ expected: 4, got: 4 });
      const universe = await computeMatrix(db.pool, { ...query, flags: DEFAULT_FLAGS, phase: ALL_OPEN });
      expect(cellOf(universe, 'universe', 'fund_daily', '20260211')).toMatchObject({ expected: 26, got: 2 });

      const explained = await explainCell(
        db.pool,
        { target: 'universe', module: 'fund_daily', tradeDate: '20260211' },
        { flags: DEFAULT_FLAGS, phase: ALL_OPEN },
        pools,
      );
      expect(explained.missingSample).toEqual(['510010.SH']);
      await db.pool.query(
        `DELETE FROM market_bar WHERE asset_class = 'etf' AND trade_date = to_date('20260211', 'YYYYMMDD')`,
      );
    });
  });

  describe('explainCell', () => {
    const context = { flags: DEFAULT_FLAGS, phase: ALL_OPEN };

    it('names what is missing from a partial universe cell, and the switches in force', async () => {
      const explained = await explainCell(
        db.pool,
        { target: 'universe', module: 'daily', tradeDate: '20260212' },
        context,
      );
      expect(explained).toMatchObject({
        status: 'partial',
        expected: 4,
        got: 3,
        coverage: 0.75,
        unlisted: 1,
        missingSample: ['000002.SZ'],
        flagsInForce: { p0Enabled: true },
        lastRun: null,
        lastError: null,
        probes: [],
      });
      expect(explained.notApplicableReason).toBeUndefined();
      const missing = await explainCell(
        db.pool,
        { target: 'universe', module: 'daily', tradeDate: '20260213' },
        context,
      );
      expect(missing.missingSample).toEqual(['000001.SZ', '000002.SZ', '600000.SH', '688999.SH']);
    });

    it('samples at most 20 missing codes, in code order', async () => {
      const explained = await explainCell(
        db.pool,
        { target: 'universe', module: 'fund_daily', tradeDate: '20260211' },
        context,
      );
      expect(explained.expected).toBe(26);
      expect(explained.missingSample).toEqual(ETF_BULK.slice(0, 20));
    });

    it('says why a cell is not applicable and samples nothing', async () => {
      const off = await explainCell(
        db.pool,
        { target: 'universe', module: 'daily_basic', tradeDate: '20260211' },
        context,
      );
      expect(off).toMatchObject({
        status: 'not_applicable',
        notApplicableReason: 'switched off',
        missingSample: [],
        flagsInForce: { universeDailyBasicEnabled: false },
      });
      const closed = await explainCell(
        db.pool,
        { target: '000002.SZ', module: 'daily', tradeDate: '20260214' },
        context,
      );
      expect(closed.notApplicableReason).toBe('market closed');
      const suspended = await explainCell(
        db.pool,
        { target: '000002.SZ', module: 'daily', tradeDate: '20260212' },
        context,
      );
      expect(suspended.missingSample).toEqual(['000002.SZ']);
    });

    it('closes a module its phase has not opened, or a freeze shut, with reason phase', async () => {
      const inB = await computeMatrix(db.pool, {
        target: 'universe',
        modules: ['daily', 'fx_daily'],
        from: '20260211',
        to: '20260211',
        flags: DEFAULT_FLAGS,
        phase: { phase: 'B', frozen: false },
      });
      expect(cellOf(inB, 'universe', 'daily', '20260211').status).toBe('complete');
      expect(cellOf(inB, 'universe', 'fx_daily', '20260211')).toMatchObject({
        status: 'not_applicable',
        reason: 'phase',
        coverage: null,
      });
      const frozen = await explainCell(
        db.pool,
        { target: 'universe', module: 'fx_daily', tradeDate: '20260211' },
        { flags: DEFAULT_FLAGS, phase: { phase: 'B', frozen: true, frozenReason: 'gate p0 regressed' } },
      );
      expect(frozen).toMatchObject({ status: 'not_applicable', flagsInForce: { p1Enabled: false } });
      expect(frozen.notApplicableReason).toBe(
        'phase: phase C is frozen (gate p0 regressed): phase B again until its gate holds; p1Enabled takes effect from phase C',
      );
      // Switched off wins over the phase: the flag is what an operator changes.
      const off = await computeMatrix(db.pool, {
        target: 'universe',
        modules: ['fx_daily'],
        from: '20260211',
        to: '20260211',
        flags: { ...DEFAULT_FLAGS, p1Enabled: false },
        phase: { phase: 'A', frozen: false },
      });
      expect(off.cells[0]?.reason).toBe('switched off');
    });

    it('reads its context from the projection tables: flags in force, probes, last run and last error', async () => {
      await db.pool.query(
        `INSERT INTO phase_state (current_phase, frozen, frozen_reason, changed_offset, changed_at)
         VALUES ('D', false, NULL, 5, now())`,
      );
      const flags = { ...DEFAULT_FLAGS, universeIndexDailyEnabled: true, updatedAt: 1_771_000_000_000 };
      await db.pool.query(
        `INSERT INTO flags_history (control_offset, flags, actor, reason, changed_at)
         VALUES (1, $1, 'test', 'baseline', to_timestamp(1769000000)), (7, $2, 'test', 'wave 1', to_timestamp(1770000000))`,
        [JSON.stringify(DEFAULT_FLAGS), JSON.stringify(flags)],
      );
      await db.pool.query(
        `INSERT INTO permission_probe (api_name, passed, tushare_code, message, probed_offset, probed_at)
         VALUES ('index_daily', true, 0, NULL, 3, to_timestamp(1771000000))`,
      );
      const runs: [string, string, string | null, string, string | null, string, number][] = [
        ['r1', 'main', 'p0', 'ok', null, '[]', 10],
        ['r2', 'main', 'p0', 'failed', 'daily: timeout', '[]', 20],
        [
          'r3',
          'main',
          null,
          'ok',
          null,
          JSON.stringify([{ module: 'index_daily', status: 'failed', error: 'code 40203' }]),
          30,
        ],
        ['r4', 'main', 'p1', 'ok', null, '[]', 40],
      ];
      for (const [runId, chain, batch, status, error, moduleResults, offset] of runs) {
        await db.pool.query(
          `INSERT INTO ingest_runs (run_id, chain, batch, status, from_date, to_date, started_at, last_heartbeat,
             finished_at, heartbeat_timeout_ms, module_results, error, started_offset)
           VALUES ($1, $2, $3, $4, DATE '2026-02-12', DATE '2026-02-12', to_timestamp($5), to_timestamp($5),
             to_timestamp($5 + 60), 120000, $6::jsonb, $7, $8)`,
          [runId, chain, batch, status, 1_771_000_000 + offset, moduleResults, error, offset],
        );
      }

      const daily = await readExplainContext(db.pool, 'daily');
      expect(daily.flags).toEqual(flags);
      expect(daily.phase).toMatchObject({ phase: 'D', frozen: false });
      expect(daily.probes).toEqual([]);
      // r3 ran every batch, so it is the last run concerning daily; the last error is r2's.
      expect(daily.lastRun).toMatchObject({ runId: 'r3', batch: null, status: 'ok', fromDate: '20260212' });
      expect(daily.lastError).toEqual({
        runId: 'r2',
        error: 'daily: timeout',
        at: (1_771_000_020 + 60) * 1000,
      });

      const index = await readExplainContext(db.pool, 'index_daily');
      expect(index.lastRun?.runId).toBe('r3');
      expect(index.lastError).toMatchObject({ runId: 'r3', error: 'code 40203' });
      expect(index.probes).toEqual([
        { apiName: 'index_daily', passed: true, tushareCode: 0, message: null, probedAt: 1_771_000_000_000 },
      ]);

      const explained = await explainCell(
        db.pool,
        { target: 'universe', module: 'index_daily', tradeDate: '20260212' },
        index,
      );
      expect(explained).toMatchObject({
        status: 'not_applicable',
        notApplicableReason: 'no instrument listed on this day',
        flagsInForce: { universeIndexDailyEnabled: true },
        flagsUpdatedAt: 1_771_000_000_000,
        // Wave 1 was switched on before the 12th (2 February), so that day is judged with it.
        flagsAsOf: {
          tradeDate: '20260212',
          rule: 'end_of_trade_date',
          offset: 7,
          changedAt: 1_770_000_000_000,
        },
        lastRun: { runId: 'r3' },
        lastError: { error: 'code 40203' },
      });
      expect(explained.probes).toHaveLength(1);
    });
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicSchemas } from '../../../contracts/avro/schemas.js';
import { CONTROL_TOPIC } from '../../../contracts/events/control.js';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import { topicDefinitions } from '../../../contracts/topics.js';
import { SingleObjectCodec } from '../../../infra/codec/single-object-codec.js';
import { PgEventLog } from '../../../infra/log/pg-event-log.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { StoreMatrixSource } from '../../../projections/api/adapters.js';
import { PgProjectionReader } from '../../../projections/api/pg-reader.js';
import { recordProbe, setFlags } from '../../../projections/commands/flags.js';
import { runCommand } from '../../../projections/commands/handle.js';
import { advancePhase } from '../../../projections/commands/phases.js';
import type { ControlLogPorts } from '../../../projections/log/control-log.js';
import { ProjectionRunner } from '../../../projections/runner/runner.js';
import { controlEvent } from '../../fixtures/control-events.js';
import { xassetCli } from '../../harness/cli.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';

/** Five open days, Monday 9 to Friday 13 March 2026; every stock has its bar every day. */
const DAYS = ['20260309', '20260310', '20260311', '20260312', '20260313'];
const STOCKS = ['000001.SZ', '000002.SZ', '600000.SH'];
/** 10:00 in Beijing on a trade date (02:00 UTC). */
const during = (ymd: string) =>
  Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6, 8)), 2);

/** A store with five open days, three stocks listed long ago and every bar of every day stored. */
async function seedWorld(): Promise<{ db: IsolatedDatabase; ports: ControlLogPorts }> {
  const db = await isolatedSchema(services().postgresUrl);
  await migrate(db.pool, { schema: db.schema });
  const log = new PgEventLog(db.pool);
  await log.ensureTopics(topicDefinitions().filter((t) => t.name === CONTROL_TOPIC));
  const ports: ControlLogPorts = { log, codec: new SingleObjectCodec(topicSchemas()) };
  for (const day of DAYS)
    await db.pool.query(
      `INSERT INTO trade_calendar (exchange, cal_date, is_open) VALUES ('SSE', to_date($1, 'YYYYMMDD'), true)`,
      [day],
    );
  for (const code of STOCKS) {
    await db.pool.query(
      `INSERT INTO instrument (asset_class, ts_code, list_date, content_hash)
         VALUES ('stock', $1, to_date('19910403', 'YYYYMMDD'), '\\x00')`,
      [code],
    );
    for (const day of DAYS)
      await db.pool.query(
        `INSERT INTO market_bar (asset_class, ts_code, trade_date, close, content_hash, source_topic, source_partition, source_offset)
           VALUES ('stock', $1, to_date($2, 'YYYYMMDD'), 10, '\\x01', 'tushare.raw.daily', 0, 0)`,
        [code, day],
      );
  }
  return { db, ports };
}

/** The `daily` cells of the five days: date, status and why not applicable. */
async function dailyCells(source: StoreMatrixSource) {
  const matrix = await source.matrix({
    target: 'universe',
    modules: ['daily'],
    from: DAYS[0] as string,
    to: DAYS[4] as string,
  });
  return matrix.cells.map((c) => [c.tradeDate, c.status, c.reason ?? null]);
}

/**
 * Replay true to its date, on the embedded log and PostgreSQL 15: P0 is paused on day 2 of 5 (a
 * FlagsChanged in the log, folded into the flags projection). The matrix judges day 1 by day 1's
 * flags — P0 on, the day complete — and days 2 to 5 by theirs; explain names the change in force.
 */
describe('the matrix of a past date uses the flags in force on that date', () => {
  let db: IsolatedDatabase;
  let ports: ControlLogPorts;
  let source: StoreMatrixSource;
  let pausedAt: number;

  beforeAll(async () => {
    ({ db, ports } = await seedWorld());
    // Phase B (P0 in force) before day 1; P0 paused during day 2.
    await advancePhase(ports, {
      actor: 'ops',
      now: during(DAYS[0] as string) - 86_400_000,
      gateVerdict: { gate: 'foundation', passed: true, failures: [] },
    });
    const paused = await setFlags(ports, {
      changes: { p0Enabled: false },
      actor: 'ops',
      reason: 'vendor outage',
      now: during(DAYS[1] as string),
    });
    pausedAt = paused.offsets[0] as number;
    await new ProjectionRunner({ ...ports, pool: db.pool }).catchUp();
    source = new StoreMatrixSource(db.pool, new PgProjectionReader(db.pool));
  });
  afterAll(async () => {
    await ports?.log.close();
    await db?.drop();
  });

  it('judges each day by its own flags: day 1 complete, days 2 to 5 switched off', async () => {
    expect(await dailyCells(source)).toEqual([
      [DAYS[0], 'complete', null],
      ...DAYS.slice(1).map((day) => [day, 'not_applicable', 'switched off']),
    ]);
  });

  it('xasset matrix and matrix explain print the same, through the CLI', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'xasset-asof-'));
    try {
      const env = {
        XASSET_LOG: 'embedded',
        XASSET_DATABASE_URL: services().postgresUrl,
        XASSET_DATABASE_SCHEMA: db.schema,
        XASSET_STATE_DIR: stateDir,
      };
      const matrix = await xassetCli(
        ['matrix', '--from', DAYS[0] as string, '--to', DAYS[4] as string, '--modules', 'daily'],
        env,
      );
      expect(matrix.code, matrix.stderr).toBe(0);
      const cells = (JSON.parse(matrix.stdout) as { cells: { tradeDate: string; status: string }[] }).cells;
      expect(cells.map((c) => [c.tradeDate, c.status])).toEqual([
        [DAYS[0], 'complete'],
        ...DAYS.slice(1).map((day) => [day, 'not_applicable']),
      ]);
      const explained = await xassetCli(['matrix', 'explain', 'daily', DAYS[0] as string], env);
      expect(explained.code, explained.stderr).toBe(0);
      expect(JSON.parse(explained.stdout)).toMatchObject({
        status: 'complete',
        flagsInForce: { p0Enabled: true },
        flagsAsOf: { tradeDate: DAYS[0], rule: 'end_of_trade_date', offset: null },
      });
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('explains day 1 by the defaults in force then, and day 3 by the pause', async () => {
    const day1 = await source.explain({ target: 'universe', module: 'daily', tradeDate: DAYS[0] as string });
    expect(day1).toMatchObject({
      status: 'complete',
      flagsInForce: { p0Enabled: true },
      flagsUpdatedAt: DEFAULT_FLAGS.updatedAt,
      flagsAsOf: { tradeDate: DAYS[0], rule: 'end_of_trade_date', offset: null, changedAt: null },
    });
    const day3 = await source.explain({ target: 'universe', module: 'daily', tradeDate: DAYS[2] as string });
    expect(day3).toMatchObject({
      status: 'not_applicable',
      flagsInForce: { p0Enabled: false },
      flagsUpdatedAt: during(DAYS[1] as string),
      flagsAsOf: {
        tradeDate: DAYS[2],
        rule: 'end_of_trade_date',
        offset: pausedAt,
        changedAt: during(DAYS[1] as string),
      },
    });
  });
});

/**
 * The phase and the probes of a past date, on the embedded log and PostgreSQL 15: phase B before
 * day 1, then a freeze back to A during day 3 (a PhaseFrozen alone, no flags change); `daily` probed
 * as passing on day 1 and failing on day 4. Explain reports the phase and the probe of each day.
 */
describe('explain reports the phase and the probe in force on a past date', () => {
  let db: IsolatedDatabase;
  let ports: ControlLogPorts;
  let source: StoreMatrixSource;
  let frozenAt: number;
  let advancedAt: number;

  beforeAll(async () => {
    ({ db, ports } = await seedWorld());
    const advanced = await advancePhase(ports, {
      actor: 'ops',
      now: during(DAYS[0] as string) - 86_400_000,
      gateVerdict: { gate: 'foundation', passed: true, failures: [] },
    });
    advancedAt = advanced.offsets[0] as number;
    await recordProbe(ports, {
      apiName: 'daily',
      passed: true,
      tushareCode: 0,
      actor: 'ops',
      now: during(DAYS[0] as string),
    });
    const frozen = await runCommand(ports, () => ({
      events: [
        {
          ...controlEvent('PhaseFrozen', { phase: 'B', reason: 'p0 regressed', rolledBackTo: 'A' }),
          occurredAt: during(DAYS[2] as string),
        },
      ],
    }));
    frozenAt = frozen.offsets[0] as number;
    await recordProbe(ports, {
      apiName: 'daily',
      passed: false,
      tushareCode: 40203,
      message: 'no access',
      actor: 'ops',
      now: during(DAYS[3] as string),
    });
    await new ProjectionRunner({ ...ports, pool: db.pool }).catchUp();
    source = new StoreMatrixSource(db.pool, new PgProjectionReader(db.pool));
  });
  afterAll(async () => {
    await ports?.log.close();
    await db?.drop();
  });

  it('judges every day by the phase in force now (the freeze), which governs backfills too', async () => {
    expect(await dailyCells(source)).toEqual(DAYS.map((day) => [day, 'not_applicable', 'phase']));
  });

  it('explains each day by the phase and the probe of that day', async () => {
    const explain = (day: number) =>
      source.explain({ target: 'universe', module: 'daily', tradeDate: DAYS[day] as string });
    expect(await explain(1)).toMatchObject({
      status: 'not_applicable',
      phaseAsOf: {
        tradeDate: DAYS[1],
        rule: 'end_of_trade_date',
        phase: 'B',
        frozen: false,
        offset: advancedAt,
      },
      probes: [{ apiName: 'daily', passed: true }],
      probesAsOf: { tradeDate: DAYS[1], rule: 'end_of_trade_date' },
    });
    const day3 = await explain(2);
    expect(day3).toMatchObject({
      status: 'not_applicable',
      phaseAsOf: { phase: 'A', frozen: true, offset: frozenAt, changedAt: during(DAYS[2] as string) },
      probes: [{ passed: true }],
    });
    expect(day3.notApplicableReason).toMatch(/^phase: /);
    expect(await explain(4)).toMatchObject({
      probes: [{ apiName: 'daily', passed: false, tushareCode: 40203 }],
    });
  });
});

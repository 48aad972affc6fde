import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime } from '../../app/runtime.js';
import { type ApiName, endpoint, tushareColumn } from '../../contracts/catalog/index.js';
import { loadConfig } from '../../contracts/config.js';
import { datesBetween, weekday } from '../../contracts/dates.js';
import { type Sandbox, startSandbox } from '../../producers/sandbox/server.js';
import { createSyntheticMarket, type SyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { appendControl, newControlEvent } from '../../projections/log/control-log.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';
import { barDigest } from './bar-digest.js';

/**
 * This test is about the daily job, not the phase machine (test/app/phases-cli.it.test.ts walks it
 * through its gates): the store starts in phase D, where P0, P1 and the recovery waves may run.
 */
async function openPhasesThroughD(env: Record<string, string>): Promise<void> {
  const runtime = await openRuntime(loadConfig(env));
  try {
    const moves = [
      ['A', 'B', 'foundation'],
      ['B', 'C', 'p0'],
      ['C', 'D', 'p1'],
    ] as const;
    await appendControl(
      { log: runtime.log, codec: runtime.codec },
      moves.map(([from, to, gate]) =>
        newControlEvent('PhaseAdvanced', { from, to, gate }, { actor: 'test', now: Date.now() }),
      ),
    );
  } finally {
    await runtime.close();
  }
}

const exec = promisify(execFile);
const TOKEN = randomBytes(28).toString('hex');

/** History starts on a Monday; the first run is the Friday after, the second the next Monday. */
const HISTORY_FROM = '20240108';
const DAY_ONE = '20240112';
const DAY_TWO = '20240115';
const FX_PAIRS = ['EURUSD.FXCM', 'USDCNH.FXCM', 'USDJPY.FXCM'];
const SHARD = 2;
const P0_BARS: readonly ApiName[] = ['daily', 'fund_daily', 'fut_daily', 'sge_daily'];

interface RunReport {
  stage: string;
  chain: string;
  batch: string | null;
  status: string;
  from: string;
  to: string;
  pools: { apiName: string; size: number; codes: string[]; backfill: string[] }[];
  switchedOff?: string;
}
interface JobReport {
  fetch: { status: string; runs: RunReport[]; notRun: string[] };
  process: { deadLettered: { total: number }; lagAtEnd: number };
}

/**
 * Issue 13's acceptance: the daily job as a user runs it, `xasset run` with no batch and no api
 * list, on Kafka, the registry and PostgreSQL, against the sandbox, with P1 and all three recovery
 * modules switched on and moneyflow refused by the sandbox.
 */
describe('xasset run: the daily job over the whole roadmap', () => {
  let db: IsolatedDatabase;
  let sandbox: Sandbox;
  let market: SyntheticMarket;
  let stateDir: string;
  let env: Record<string, string>;

  const xasset = async (args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, ['bin/xasset.js', ...args], {
        env: { ...process.env, XASSET_LOG_LEVEL: 'warn', ...env },
        timeout: 240_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const json = async <T>(args: string[]): Promise<T> => {
    const out = await xasset(args);
    expect(out.code, out.stderr.slice(-3_000)).toBe(0);
    return JSON.parse(out.stdout) as T;
  };
  const openDays = (from: string, to: string) =>
    market
      .query('trade_cal', { exchange: 'SSE', start_date: from, end_date: to })
      .filter((r) => Number(r.is_open) === 1)
      .map((r) => String(r.cal_date))
      .sort();
  // index_basic answers one market per call (SSE without one), as the reference run asks it.
  const indexMembers = () =>
    ['SSE', 'SZSE', 'CSI']
      .flatMap((m) => market.query('index_basic', { market: m }))
      .map((r) => String(r.ts_code))
      .sort();

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    market = createSyntheticMarket({ seed: 20_240_101, size: 'tiny' });
    sandbox = await startSandbox({
      host: '127.0.0.1',
      port: 0,
      dataset: market,
      faults: { moneyflow: { permissionDenied: true } },
    });
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-job-'));
    env = {
      XASSET_LOG: 'kafka',
      XASSET_KAFKA_BROKERS: services().kafkaBrokers.join(','),
      XASSET_REGISTRY_URL: services().registryUrl,
      XASSET_TOPIC_PREFIX: `${db.schema}.`,
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: stateDir,
      TUSHARE_TOKEN: TOKEN,
      TUSHARE_API_URL: sandbox.url,
      XASSET_HEARTBEAT_MS: '500',
      XASSET_FX_PAIRS: FX_PAIRS.join(','),
      XASSET_INDEX_SHARD_SIZE: String(SHARD),
      XASSET_HISTORY_FROM: HISTORY_FROM,
    };
    expect((await xasset(['migrate'])).code).toBe(0);
    await openPhasesThroughD(env);
    await json([
      'flags',
      'set',
      'universeIndexDailyEnabled=true',
      'universeDailyBasicEnabled=true',
      'universeMoneyflowEnabled=true',
      '--reason',
      'acceptance: the three waves on',
    ]);
  }, 240_000);

  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  async function expectBars(api: ApiName, days: readonly string[], codes?: readonly string[]) {
    const assetClass = endpoint(api).assetClass;
    for (const day of days) {
      const expected = codes
        ? codes.flatMap((ts_code) => market.query(api, { ts_code, start_date: day, end_date: day }))
        : market.query(api, { trade_date: day });
      const { rows } = await db.pool.query(
        `SELECT ts_code, open, high, low, close FROM market_bar
          WHERE asset_class = $1 AND trade_date = to_date($2, 'YYYYMMDD')`,
        [assetClass, day],
      );
      expect({ api, day, rows: rows.length }).toEqual({ api, day, rows: expected.length });
      expect({ api, day, digest: barDigest(rows) }).toEqual({ api, day, digest: barDigest(expected) });
    }
  }

  async function expectFx(to: string) {
    const expected = FX_PAIRS.flatMap((ts_code) =>
      market.query('fx_daily', { ts_code, start_date: HISTORY_FROM, end_date: to }),
    ).map((r) => `${r.ts_code}|${r.trade_date}`);
    const { rows } = await db.pool.query<{ key: string }>(
      `SELECT ts_code || '|' || to_char(trade_date, 'YYYYMMDD') AS key FROM market_bar WHERE asset_class = 'fx'`,
    );
    expect(rows.map((r) => r.key).sort()).toEqual(expected.sort());
    // Every weekday of the range, per pair: FX follows no exchange calendar.
    const weekdays = datesBetween(HISTORY_FROM, to).filter((d) => weekday(d) >= 1 && weekday(d) <= 5);
    expect(rows.length).toBe(FX_PAIRS.length * weekdays.length);
  }

  /** Observations per day of the daily macro series: one per non-null value of the sandbox's row. */
  async function expectDailyMacro(api: ApiName, to: string) {
    const spec = endpoint(api);
    const values = spec.fields.filter((f) => f.name !== spec.timeField);
    for (const day of datesBetween(HISTORY_FROM, to)) {
      const expected = market
        .query(api, { start_date: day, end_date: day })
        .flatMap((row) => values.filter((f) => row[tushareColumn(api, f.name)] != null)).length;
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM macro_observation
          WHERE source_api = $1 AND period_end = to_date($2, 'YYYYMMDD')`,
        [api, day],
      );
      expect({ api, day, n: rows[0]?.n }).toEqual({ api, day, n: expected });
    }
  }

  async function expectDailyBasic(days: readonly string[]) {
    for (const day of days) {
      const expected = market.query('daily_basic', { trade_date: day }).map((r) => String(r.ts_code));
      const { rows } = await db.pool.query<{ ts_code: string }>(
        `SELECT ts_code FROM daily_basic WHERE trade_date = to_date($1, 'YYYYMMDD')`,
        [day],
      );
      expect({ day, codes: rows.map((r) => r.ts_code).sort() }).toEqual({ day, codes: expected.sort() });
    }
  }

  const storedIndexCodes = async () =>
    (
      await db.pool.query<{ ts_code: string }>(
        `SELECT DISTINCT ts_code FROM market_bar WHERE asset_class = 'index' ORDER BY ts_code`,
      )
    ).rows.map((r) => r.ts_code);

  it('first run: reference, P0, P1 and the waves in order; the moneyflow fault switches only moneyflow off', async () => {
    const report = await json<JobReport>(['run', '--to', DAY_ONE]);
    expect(report.fetch.runs.map((r) => [r.stage, r.chain, r.batch, r.status])).toEqual([
      ['reference', 'main', 'reference', 'ok'],
      ['p0', 'main', 'p0', 'ok'],
      ['p1', 'main', 'p1', 'ok'],
      ['index_daily', 'index_daily', null, 'ok'],
      ['daily_basic', 'daily_basic', null, 'ok'],
      ['moneyflow', 'moneyflow', null, 'failed'],
    ]);
    expect(report.fetch.status).toBe('ok');
    expect(report.fetch.runs.at(-1)?.switchedOff).toBe('universeMoneyflowEnabled');
    expect(report.process.deadLettered.total).toBe(0);
    expect(report.process.lagAtEnd).toBe(0);
    for (const run of report.fetch.runs) expect([run.stage, run.from]).toEqual([run.stage, HISTORY_FROM]);

    const members = indexMembers();
    const index = report.fetch.runs.find((r) => r.stage === 'index_daily')?.pools[0];
    expect(index).toEqual({
      apiName: 'index_daily',
      size: members.length,
      codes: members.slice(0, SHARD),
      backfill: members.slice(0, SHARD),
    });
    const fx = report.fetch.runs.find((r) => r.stage === 'p1')?.pools[0];
    expect(fx).toMatchObject({ apiName: 'fx_daily', size: FX_PAIRS.length, codes: FX_PAIRS });

    const days = openDays(HISTORY_FROM, DAY_ONE);
    expect(days).toHaveLength(5);
    for (const api of P0_BARS) await expectBars(api, days);
    await expectFx(DAY_ONE);
    await expectDailyMacro('shibor', DAY_ONE);
    await expectDailyMacro('us_tycr', DAY_ONE);
    await expectBars('index_daily', days, members.slice(0, SHARD));
    expect(await storedIndexCodes()).toEqual(members.slice(0, SHARD));
    await expectDailyBasic(days);
    const moneyflow = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM moneyflow');
    expect(moneyflow.rows[0]?.n).toBe(0);

    const flags = await json<{ stored: Record<string, boolean> }>(['flags', 'show']);
    expect(flags.stored).toMatchObject({
      p0Enabled: true,
      p1Enabled: true,
      universeIndexDailyEnabled: true,
      universeDailyBasicEnabled: true,
      universeMoneyflowEnabled: false,
    });

    // The main chain is clean; only the moneyflow wave carries a blocking failure.
    const snapshot = await json<{
      runs: { blocking: number };
      gates: { gate: string; failures: string[] }[];
    }>(['gate', 'snapshot', '--as-of', DAY_ONE]);
    expect(snapshot.runs.blocking).toBe(0);
    const failures = new Map(snapshot.gates.map((g) => [g.gate, g.failures]));
    const blocking = (gate: string) => (failures.get(gate) ?? []).filter((f) => f.startsWith('blocking_'));
    for (const gate of ['p0', 'p1', 'wave:index_daily', 'wave:daily_basic']) {
      expect({ gate, blocking: blocking(gate) }).toEqual({ gate, blocking: [] });
    }
    expect(blocking('wave:moneyflow')).toContain(`blocking_module_failed:${DAY_ONE}:moneyflow`);
  }, 600_000);

  it('second run, the next trading day: only the new day, plus the next index shard', async () => {
    const before = sandbox.calls();
    const report = await json<JobReport>(['run', '--to', DAY_TWO]);
    const calls = sandbox.calls();
    const delta = (api: string) => (calls[api] ?? 0) - (before[api] ?? 0);

    expect(report.fetch.runs.map((r) => [r.stage, r.status])).toEqual([
      ['reference', 'ok'],
      ['p0', 'ok'],
      ['p1', 'ok'],
      ['index_daily', 'ok'],
      ['daily_basic', 'ok'],
    ]);
    // One new open day: one call per whole-market endpoint, one per futures exchange.
    expect([delta('daily'), delta('fund_daily'), delta('sge_daily'), delta('fut_daily')]).toEqual([
      1, 1, 1, 6,
    ]);
    expect(delta('daily_basic')).toBe(1);
    expect(delta('moneyflow')).toBe(0);
    expect(delta('fx_daily')).toBe(FX_PAIRS.length);
    // The two codes already in get the new day, the next two their whole history: four calls.
    expect(delta('index_daily')).toBe(2 * SHARD);
    const p0 = report.fetch.runs.find((r) => r.stage === 'p0');
    expect([p0?.from, p0?.to]).toEqual(['20240113', DAY_TWO]);

    const members = indexMembers();
    const index = report.fetch.runs.find((r) => r.stage === 'index_daily');
    expect(index?.from).toBe(HISTORY_FROM);
    expect(index?.pools[0]).toMatchObject({
      codes: members.slice(0, 2 * SHARD),
      backfill: members.slice(SHARD, 2 * SHARD),
    });

    const days = openDays(HISTORY_FROM, DAY_TWO);
    expect(days.at(-1)).toBe(DAY_TWO);
    for (const api of P0_BARS) await expectBars(api, days);
    await expectFx(DAY_TWO);
    await expectDailyMacro('shibor', DAY_TWO);
    await expectBars('index_daily', days, members.slice(0, 2 * SHARD));
    expect(await storedIndexCodes()).toEqual(members.slice(0, 2 * SHARD));
    await expectDailyBasic(days);
  }, 600_000);
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRun } from '../../app/daily-job.js';
import { processRun, tushareSource } from '../../app/pipeline.js';
import { openRuntime, type Runtime, setUp } from '../../app/runtime.js';
import { type ApiName, endpoint } from '../../contracts/catalog/index.js';
import { loadConfig } from '../../contracts/config.js';
import { type Sandbox, startSandbox } from '../../producers/sandbox/server.js';
import { createSyntheticMarket, type SyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { services, uniqueName } from '../harness/services.js';
import { barDigest } from './bar-digest.js';

/** The P0 market endpoints and where their rows land. */
const P0_BARS: readonly ApiName[] = ['daily', 'fund_daily', 'fut_daily', 'sge_daily'];
const FROM = '20240102';
const TO = '20240109';

describe('P0 end to end on real Kafka, the registry and TimescaleDB', () => {
  let runtime: Runtime;
  let sandbox: Sandbox;
  let market: SyntheticMarket;
  let schema: string;

  beforeAll(async () => {
    schema = uniqueName('p0');
    const admin = new pg.Client({ connectionString: services().timescaleUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.end();
    market = createSyntheticMarket({ seed: 424_242, size: 'tiny' });
    sandbox = await startSandbox({ host: '127.0.0.1', port: 0, dataset: market });
    runtime = await openRuntime(
      loadConfig({
        XASSET_LOG: 'kafka',
        XASSET_KAFKA_BROKERS: services().kafkaBrokers.join(','),
        XASSET_REGISTRY_URL: services().registryUrl,
        XASSET_TOPIC_PREFIX: `${schema}.`,
        XASSET_DATABASE_URL: services().timescaleUrl,
        XASSET_DATABASE_SCHEMA: schema,
        // PGlite serves one connection at a time.
        XASSET_DATABASE_POOL_SIZE: '1',
        XASSET_PROCESS_BATCH_SIZE: '150',
        TUSHARE_API_URL: sandbox.url,
        XASSET_HEARTBEAT_MS: '200',
      }),
    );
    await setUp(runtime);
  });

  afterAll(async () => {
    await runtime?.close();
    await sandbox?.close();
  });

  const source = () => tushareSource(runtime.config);
  const backfill = (force = false, endpoints: 'p0' | ApiName[] = 'p0') =>
    fetchRun(runtime, source(), {
      endpoints,
      from: FROM,
      to: TO,
      force,
      actor: 'test',
      forcePhase: 'test backfill on a fresh store',
    });
  const process = () => processRun(runtime, { until: 'caught-up' });
  const openDays = () =>
    market
      .query('trade_cal', { exchange: 'SSE', start_date: FROM, end_date: TO })
      .filter((r) => Number(r.is_open) === 1)
      .map((r) => String(r.cal_date))
      .sort();

  it('stores exactly the sandbox rows, per table and trade day, with equal checksums', async () => {
    const fetched = await backfill();
    expect(fetched.status).toBe('ok');
    const processed = await process();
    expect(processed.deadLettered.total).toBe(0);
    expect(processed.lagAtEnd).toBe(0);

    const days = openDays();
    expect(days.length).toBeGreaterThanOrEqual(5);
    for (const api of P0_BARS) {
      const assetClass = endpoint(api).assetClass;
      for (const day of days) {
        const expected = market.query(api, { trade_date: day });
        const { rows } = await runtime.pool.query(
          `SELECT ts_code, open, high, low, close FROM market_bar
            WHERE asset_class = $1 AND trade_date = to_date($2, 'YYYYMMDD')`,
          [assetClass, day],
        );
        expect({ api, day, rows: rows.length }).toEqual({ api, day, rows: expected.length });
        expect({ api, day, digest: barDigest(rows) }).toEqual({ api, day, digest: barDigest(expected) });
      }
    }
    const cal = await runtime.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM trade_calendar WHERE exchange = 'SSE' AND is_open
        AND cal_date BETWEEN to_date($1, 'YYYYMMDD') AND to_date($2, 'YYYYMMDD')`,
      [FROM, TO],
    );
    expect(cal.rows[0]?.n).toBe(days.length);
  });

  it('fetching the same range again writes nothing and counts only duplicates', async () => {
    const before = await runtime.pool.query(
      'SELECT count(*)::int AS n, max(updated_at) AS at FROM market_bar',
    );
    const again = await backfill(true);
    expect(again.status).toBe('ok');
    const processed = await process();
    expect(processed.records).toBe(again.stats.rowsEmitted);
    expect(processed.inserted).toBe(0);
    expect(processed.revisions).toBe(0);
    expect(processed.duplicates).toBe(again.stats.rowsEmitted);
    const after = await runtime.pool.query(
      'SELECT count(*)::int AS n, max(updated_at) AS at FROM market_bar',
    );
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('one row corrected at the source gives exactly one revision', async () => {
    sandbox.setFaults({ daily: { correctRows: { afterCalls: 0, count: 1 } } });
    const day = openDays()[2] as string;
    const refetch = await fetchRun(runtime, source(), {
      endpoints: ['daily'],
      from: day,
      to: day,
      force: true,
      actor: 'test',
      forcePhase: 'test backfill on a fresh store',
    });
    sandbox.setFaults({});
    expect(refetch.status).toBe('ok');
    const processed = await process();
    expect(processed.revisions).toBe(1);
    expect(processed.inserted).toBe(0);
    expect(processed.duplicates).toBe(processed.records - 1);
    // The sandbox corrects the first row of its answer (newest first, then by code).
    const first = market.query('daily', { trade_date: day })[0] as { ts_code: string; close: number };
    const { rows } = await runtime.pool.query<{ close: number }>(
      `SELECT close FROM market_bar WHERE asset_class = 'stock' AND ts_code = $1 AND trade_date = to_date($2, 'YYYYMMDD')`,
      [first.ts_code, day],
    );
    expect(rows[0]?.close).not.toBe(first.close);
    expect(rows[0]?.close).toBeCloseTo(first.close * 1.01, 1);
  });
});

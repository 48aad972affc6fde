import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRun, tushareSource } from '../../app/pipeline.js';
import { openRuntime, type Runtime, setUp } from '../../app/runtime.js';
import { type ApiName, rawTopic } from '../../contracts/catalog/index.js';
import { loadConfig } from '../../contracts/config.js';
import { DLQ_TOPIC } from '../../contracts/events/dead-letter.js';
import { DEFAULT_FLAGS } from '../../contracts/flags.js';
import { minuteTopic } from '../../contracts/normalized/intraday.js';
import { runFetch } from '../../producers/fetch/run.js';
import { startSandbox } from '../../producers/sandbox/server.js';
import { createSyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { expectedMinutes, MINUTE_APIS, storedMinutes } from '../harness/minute-bars.js';
import { services, uniqueName } from '../harness/services.js';

/** Thursday and Friday: Friday's night session is held on Thursday evening. */
const FROM = '20240307';
const TO = '20240308';

// TimescaleDB (PGlite: hypertables, the unnest staging path) and PostgreSQL 15 (binary COPY staging).
describe.each([
  ['TimescaleDB', () => services().timescaleUrl, '1'],
  ['PostgreSQL 15', () => services().postgresUrl, '4'],
])('P2 minute bars end to end on real Kafka, the registry and %s', (_store, storeUrl, poolSize) => {
  const market = createSyntheticMarket({ seed: 424_242, size: 'tiny' });
  const stock = market.tradingOn('stock', TO)[0] as string;
  const index = market.instruments('index')[0]?.tsCode as string;
  const futures = market.listedOn('futures', TO).find((c) => c.startsWith('CU')) as string;
  const pools = { stk_mins: [stock], idx_mins: [index], ft_mins: [futures] };
  let runtime: Runtime;
  let schema: string;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    schema = uniqueName('p2min');
    const admin = new pg.Client({ connectionString: storeUrl() });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.end();
    runtime = await openRuntime(
      loadConfig({
        XASSET_LOG: 'kafka',
        XASSET_KAFKA_BROKERS: services().kafkaBrokers.join(','),
        XASSET_REGISTRY_URL: services().registryUrl,
        XASSET_TOPIC_PREFIX: `${schema}.`,
        XASSET_DATABASE_URL: storeUrl(),
        XASSET_DATABASE_SCHEMA: schema,
        XASSET_DATABASE_POOL_SIZE: poolSize,
        XASSET_PROCESS_BATCH_SIZE: '400',
      }),
    );
    await setUp(runtime);
  });

  afterAll(async () => {
    for (const close of closers) await close();
    await runtime?.close();
  });

  async function fetchFrom(faults?: Parameters<typeof startSandbox>[0]['faults']) {
    const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, dataset: market, faults });
    closers.push(() => sandbox.close());
    const result = await runFetch({
      source: tushareSource(runtime.config, { apiUrl: sandbox.url }),
      log: runtime.log,
      codec: runtime.codec,
      endpoints: MINUTE_APIS,
      from: FROM,
      to: TO,
      flags: DEFAULT_FLAGS,
      pools: Object.entries(pools).map(([apiName, codes]) => ({
        apiName,
        members: codes,
        codes,
        backfill: [],
      })),
      force: true,
      chain: 'main',
      actor: 'test',
      heartbeatMs: 1_000,
      heartbeatTimeoutMs: 60_000,
      cursors: {},
    });
    expect(result.status).toBe('ok');
    return result;
  }

  it('stores per endpoint and trading day exactly the sandbox rows, night session on the next day; a rerun writes nothing', async () => {
    const fetched = await fetchFrom();
    const first = await processRun(runtime, { until: 'caught-up' });
    expect(first.deadLettered.total).toBe(0);
    const expected = expectedMinutes(
      market,
      new Map(Object.entries(pools) as [ApiName, string[]][]),
      FROM,
      TO,
    );
    expect(await storedMinutes(runtime.pool)).toEqual(expected);
    // Stocks and the index: 241 bars a day (the 09:30 auction bar); SHFE copper: a night session
    // of 240 bars on Thursday evening belongs to Friday, plus 225 day bars.
    expect(expected[`${stock}|${TO}`]?.rows).toBe(241);
    expect(expected[`${index}|${TO}`]?.rows).toBe(241);
    expect(expected[`${futures}|${TO}`]?.rows).toBe(240 + 225);
    const total = Object.values(expected).reduce((s, day) => s + day.rows, 0);
    // Besides the minute bars, the run fetched the two calendar days it planned from.
    expect(first.rowsWritten).toEqual({ minute_bar: total, trade_calendar: 2 });
    expect(fetched.stats.rowsEmitted).toBe(total + 2);
    expect(first.published).toBe(total);

    await fetchFrom();
    const again = await processRun(runtime, { until: 'caught-up' });
    expect(again).toMatchObject({ inserted: 0, revisions: 0, finalized: 0, published: 0, rowsWritten: {} });
    expect(again.duplicates).toBe(total + 2);
  });

  it('counts one corrected minute row as exactly one revision', async () => {
    await fetchFrom({ stk_mins: { correctRows: { afterCalls: 0, count: 1 } } });
    const stats = await processRun(runtime, { until: 'caught-up' });
    expect(stats).toMatchObject({ inserted: 0, revisions: 1, finalized: 0, published: 1 });
  });

  it('replaces a realtime bar by the history bar of its key: one row, finalized, counted once', async () => {
    const when = '2024-03-11 09:31:00';
    const values = { ts_code: stock, open: 10, high: 10.2, low: 9.9, close: 10.1, vol: 1200, amount: 12_100 };
    const append = async (api: 'rt_min' | 'stk_mins', time: string, params: Record<string, string>) => {
      const record = {
        envelope: {
          run_id: 'manual',
          api_name: api,
          params_hash: 'x',
          page: 0,
          row_index: 0,
          fetched_at: 1,
          params,
        },
        ts_code: values.ts_code,
        [api === 'rt_min' ? 'time' : 'trade_time']: time,
        open: values.open,
        high: values.high,
        low: values.low,
        close: values.close,
        vol: values.vol,
        amount: values.amount,
      };
      await runtime.log.append(rawTopic(api), [
        { key: `${api}|${stock}|${time}`, value: await runtime.codec.encode(rawTopic(api), record) },
      ]);
    };
    const row = async () =>
      (
        await runtime.pool.query(
          `SELECT provisional, close FROM minute_bar WHERE ts_code = $1 AND trade_time = '2024-03-11T09:31:00+08:00'`,
          [stock],
        )
      ).rows;

    await append('rt_min', when, { freq: '1MIN', ts_code: stock });
    expect(await processRun(runtime, { until: 'caught-up' })).toMatchObject({ inserted: 1, finalized: 0 });
    expect(await row()).toEqual([{ provisional: true, close: 10.1 }]);

    await append('stk_mins', when, { freq: '1min', ts_code: stock });
    const finalized = await processRun(runtime, { until: 'caught-up' });
    expect(finalized).toMatchObject({ inserted: 0, revisions: 0, finalized: 1, published: 1 });
    expect(await row()).toEqual([{ provisional: false, close: 10.1 }]);

    // A late realtime bar of the same key never makes the final row provisional again.
    await append('rt_min', when, { freq: '1MIN', ts_code: stock });
    expect(await processRun(runtime, { until: 'caught-up' })).toMatchObject({
      inserted: 0,
      revisions: 0,
      finalized: 0,
      duplicates: 1,
    });
    expect(await row()).toEqual([{ provisional: false, close: 10.1 }]);

    // A minute record without the request params (as written before the envelope had them).
    await append('stk_mins', '2024-03-11 09:32:00', {});
    const poisoned = await processRun(runtime, { until: 'caught-up' });
    expect(poisoned.deadLettered).toMatchObject({ total: 1, byStage: { normalize: 1 } });
    const letters = await readAll(DLQ_TOPIC);
    const letter = (await runtime.codec.decode(DLQ_TOPIC, letters.at(-1) as Buffer)) as {
      reason: string;
    };
    expect(letter.reason).toMatch(/missing request param freq/);
    // Published: every inserted, revised or finalized stock minute bar, nothing for the duplicates.
    expect((await readAll(minuteTopic('stock'))).length).toBe(2 * 241 + 1 + 2);
  });

  async function readAll(topic: string): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const [partition, end] of await runtime.log.endOffsets(topic)) {
      if (end === 0) continue;
      for (const r of await runtime.log.read(topic, partition, 0, end)) out.push(r.value);
    }
    return out;
  }
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRun } from '../../app/daily-job.js';
import { tushareSource } from '../../app/pipeline.js';
import { openRuntime, type Runtime, setUp } from '../../app/runtime.js';
import { loadConfig } from '../../contracts/config.js';
import { openRecordedDataset } from '../../producers/sandbox/recorded.js';
import { type Sandbox, startSandbox } from '../../producers/sandbox/server.js';
import { createSyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { foldControlLog } from '../../projections/log/control-view.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

const DAY = '20240105';

/** A runtime on the embedded log in a fresh PostgreSQL schema, fetching from `apiUrl`. */
async function runtimeFor(db: IsolatedDatabase, apiUrl: string): Promise<Runtime> {
  const runtime = await openRuntime(
    loadConfig({
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      TUSHARE_API_URL: apiUrl,
      TUSHARE_MAX_ATTEMPTS: '4',
      TUSHARE_PAGE_CAP: '50',
    }),
  );
  await setUp(runtime);
  return runtime;
}

describe('fetch runs under injected Tushare faults', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  let sandbox: Sandbox;
  let runtime: Runtime;
  beforeAll(async () => {
    sandbox = await startSandbox({
      host: '127.0.0.1',
      port: 0,
      dataset: createSyntheticMarket({ seed: 99, size: 'tiny' }),
    });
    const db = await isolatedSchema(services().postgresUrl);
    runtime = await runtimeFor(db, sandbox.url);
    closers.push(
      () => sandbox.close(),
      () => db.drop(),
      () => runtime.close(),
    );
  });

  const fetchDay = (apis: string[]) =>
    fetchRun(runtime, tushareSource(runtime.config), {
      endpoints: apis,
      from: DAY,
      to: DAY,
      force: true,
      actor: 'test',
      forcePhase: 'test backfill on a fresh store',
    });

  it('retries 5xx answers and ends ok, with every retry counted under its class', async () => {
    sandbox.setFaults({ daily: { serverErrors: { first: 2 } } });
    const run = await fetchDay(['daily']);
    expect(run.status).toBe('ok');
    expect(run.stats.retries).toBe(2);
    expect(run.stats.errorsByClass).toEqual({ XASSET_TUSHARE_TRANSIENT: 2 });
    expect(run.stats.rowsEmitted).toBeGreaterThan(0);
  });

  it('does not retry a permission error: that endpoint fails, the others land, the run is partial', async () => {
    sandbox.setFaults({ fund_daily: { permissionDenied: true } });
    const run = await fetchDay(['daily', 'fund_daily']);
    expect(run.status).toBe('partial');
    expect(run.stats.retries).toBe(0);
    expect(run.stats.errorsByClass).toEqual({ XASSET_TUSHARE_PERMISSION: 1 });
    expect(run.failures.map((f) => [f.apiName, f.code])).toEqual([
      ['fund_daily', 'XASSET_TUSHARE_PERMISSION'],
    ]);
    const control = await foldControlLog({ log: runtime.log, codec: runtime.codec });
    expect(control.runs.runs[run.runId]?.status).toBe('partial');
  });

  it('a run whose only endpoint is refused ends failed', async () => {
    sandbox.setFaults({ daily: { permissionDenied: true } });
    const run = await fetchDay(['daily']);
    expect(run.status).toBe('failed');
    sandbox.setFaults({});
  });
});

describe('a server that repeats its pages forever', () => {
  it('ends the run with a bad-response error instead of a hang', async () => {
    // Full pages are needed for a client to ask for the next one: a recorded file bigger than the
    // endpoint's row limit for one day.
    const dir = await mkdtemp(join(tmpdir(), 'xasset-recorded-'));
    const header = 'ts_code,trade_date,open,high,low,close,pre_close,change,pct_chg,vol,amount';
    const lines = Array.from({ length: 6_500 }, (_, i) => {
      const code = `${String(i + 1).padStart(6, '0')}.SZ`;
      return `${code},${DAY},10,11,9,10.5,10,0.5,5,1000,1050`;
    });
    await writeFile(join(dir, 'daily.csv'), `${header}\n${lines.join('\n')}\n`);
    await writeFile(
      join(dir, 'trade_cal.csv'),
      `exchange,cal_date,is_open,pretrade_date\nSSE,${DAY},1,20240104\n`,
    );
    const sandbox = await startSandbox({
      host: '127.0.0.1',
      port: 0,
      dataset: await openRecordedDataset(dir),
      faults: { daily: { repeatPages: true } },
    });
    const db = await isolatedSchema(services().postgresUrl);
    const runtime = await runtimeFor(db, sandbox.url);
    try {
      const run = await fetchRun(runtime, tushareSource(runtime.config), {
        endpoints: ['daily'],
        from: DAY,
        to: DAY,
        actor: 'test',
        forcePhase: 'test backfill on a fresh store',
      });
      expect(run.status).toBe('failed');
      expect(run.failures.map((f) => f.code)).toEqual(['XASSET_TUSHARE_BAD_RESPONSE']);
      expect(run.stats.errorsByClass).toEqual({ XASSET_TUSHARE_BAD_RESPONSE: 1 });
      // The guard trips on the second page, identical to the first.
      expect(sandbox.calls().daily).toBe(2);
    } finally {
      await runtime.close();
      await db.drop();
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

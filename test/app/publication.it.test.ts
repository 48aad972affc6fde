import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../producers/sandbox/server.js';
import { createSyntheticMarket, type SyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { xassetCli } from '../harness/cli.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

const TOKEN = randomBytes(28).toString('hex');

/** History from a Monday; day X is published in two parts and corrected two trading days later. */
const HISTORY_FROM = '20240108';
const DAY_X = '20240110';
const RUN_DAYS = ['20240110', '20240111', '20240112', '20240115'] as const;
const SHARE = 0.5;

interface Cell {
  module: string;
  tradeDate: string;
  status: string;
  expected: number;
  got: number;
  publication?: string;
  revisions?: number;
}
interface MatrixOut {
  cells: Cell[];
  summary: { byPublication: Record<string, number> };
  quotaStops?: { module: string; window: string; limit: number; blockedUntil: number }[];
}
interface RunOut {
  stage: string;
  status: string;
  from: string;
  to: string;
  recheck: Record<string, string[]>;
  quotaStops: { apiName: string; window: string; limit: number | null; until: string }[];
}
interface JobOut {
  fetch: { status: string; runs: RunOut[] };
  process: { revisions: number; deadLettered: { total: number } };
}
interface GateOut {
  gates: {
    gate: string;
    passed: boolean;
    failures: string[];
    days: { asOf: { tradeDate: string; clean: boolean; failures: string[] }[] };
  }[];
}

/**
 * Issue 12's acceptance for late and corrected data, through the CLI on Kafka, the registry and
 * PostgreSQL: Tushare (the sandbox) publishes `daily` of one day in two parts and corrects one of
 * its values two trading days later. The first run marks the day partial and the gate does not
 * count it, the next run fetches it again and completes it, the run on day +2 (within the re-check
 * window) stores the correction as exactly one revision, and a later re-check of the same value
 * adds none.
 */
describe('publication states: a day published in two parts, then corrected', () => {
  let db: IsolatedDatabase;
  let sandbox: Sandbox;
  let market: SyntheticMarket;
  let stateDir: string;
  let env: Record<string, string>;

  const json = async <T>(args: string[]): Promise<T> => {
    const out = await xassetCli(args, env);
    expect(out.code, out.stderr.slice(-3_000)).toBe(0);
    return JSON.parse(out.stdout) as T;
  };
  const run = (to: string) => json<JobOut>(['run', '--to', to]);
  const dailyCell = async (day: string): Promise<Cell> => {
    const matrix = await json<MatrixOut>(['matrix', '--from', day, '--to', day, '--modules', 'daily']);
    expect(matrix.cells).toHaveLength(1);
    return matrix.cells[0] as Cell;
  };
  const p0Gate = async (asOf: string) => {
    const snapshot = await json<GateOut>(['gate', 'snapshot', '--as-of', asOf]);
    return snapshot.gates.find((g) => g.gate === 'p0');
  };
  const p0Run = (job: JobOut) => job.fetch.runs.find((r) => r.stage === 'p0') as RunOut;

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    market = createSyntheticMarket({ seed: 20_240_101, size: 'tiny' });
    sandbox = await startSandbox({
      host: '127.0.0.1',
      port: 0,
      dataset: market,
      faults: {
        daily: { publishDays: { [DAY_X]: { part: { share: SHARE, calls: 1 }, correctFromCall: 3 } } },
      },
    });
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-publication-'));
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
      XASSET_HISTORY_FROM: HISTORY_FROM,
      XASSET_RECHECK_DAYS: '3',
      // A ratio the half-published day meets: only its publication state keeps it from counting.
      XASSET_GATE_MIN_COVERAGE: String(SHARE),
    };
    for (const args of [['migrate'], ['phase', 'advance']]) {
      const step = await xassetCli(args, env);
      expect(step.code, step.stderr.slice(-3_000)).toBe(0);
    }
  }, 300_000);

  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  const published = () => market.query('daily', { trade_date: DAY_X }).length;

  it('first run: the day is partial, and the gate does not count it', async () => {
    const job = await run(RUN_DAYS[0]);
    expect(p0Run(job)).toMatchObject({ status: 'ok', from: HISTORY_FROM, to: RUN_DAYS[0], recheck: {} });
    expect(job.process.deadLettered.total).toBe(0);

    const expected = published();
    const cell = await dailyCell(DAY_X);
    expect(cell).toMatchObject({
      status: 'partial',
      publication: 'partial',
      expected,
      got: Math.ceil(expected * SHARE),
      revisions: 0,
    });
    expect(await dailyCell('20240109')).toMatchObject({ status: 'complete', publication: 'complete' });

    const gate = await p0Gate(DAY_X);
    expect(gate?.passed).toBe(false);
    expect(gate?.failures).toContain(`publication_partial:${DAY_X}:daily`);
    expect(gate?.failures.some((f) => f.startsWith(`coverage_below:${DAY_X}:daily`))).toBe(false);
    const day = gate?.days.asOf.find((d) => d.tradeDate === DAY_X);
    expect(day).toMatchObject({ clean: false, failures: [`publication_partial:${DAY_X}:daily`] });
  }, 600_000);

  it('next run: the partial day is fetched again and completed; the matrix shows complete', async () => {
    const before = sandbox.calls().daily ?? 0;
    const job = await run(RUN_DAYS[1]);
    const p0 = p0Run(job);
    expect(p0.status).toBe('ok');
    // The re-check window: the last three open days up to the cursor, the partial day among them.
    expect(p0.recheck.daily).toEqual(['20240108', '20240109', DAY_X]);
    expect(p0.from).toBe('20240108');
    expect((sandbox.calls().daily ?? 0) - before).toBe(3 + 1);
    expect(job.process.revisions).toBe(0);

    expect(await dailyCell(DAY_X)).toMatchObject({
      status: 'complete',
      publication: 'complete',
      expected: published(),
      got: published(),
      revisions: 0,
    });
    const gate = await p0Gate(RUN_DAYS[1]);
    expect(gate?.failures.filter((f) => f.startsWith('publication_partial'))).toEqual([]);
  }, 600_000);

  it('day +2: the corrected value is one revision, and a later re-check of it adds none', async () => {
    const corrected = await run(RUN_DAYS[2]);
    expect(p0Run(corrected).recheck.daily).toContain(DAY_X);
    expect(corrected.process.revisions).toBe(1);
    expect(await dailyCell(DAY_X)).toMatchObject({
      status: 'complete',
      publication: 'revised',
      revisions: 1,
    });

    const again = await run(RUN_DAYS[3]);
    expect(p0Run(again).recheck.daily).toContain(DAY_X);
    expect(again.process.revisions).toBe(0);
    const matrix = await json<MatrixOut>([
      'matrix',
      '--from',
      HISTORY_FROM,
      '--to',
      RUN_DAYS[3],
      '--modules',
      'daily',
    ]);
    const revised = matrix.cells.filter((c) => c.publication === 'revised');
    expect(revised.map((c) => [c.tradeDate, c.revisions])).toEqual([[DAY_X, 1]]);
    expect(matrix.summary.byPublication).toMatchObject({ partial: 0, not_published: 0, revised: 1 });

    const explain = await json<{ publication: string; revisions: number; lastRevisedAt: number | null }>([
      'matrix',
      'explain',
      'daily',
      DAY_X,
    ]);
    expect(explain.publication).toBe('revised');
    expect(explain.revisions).toBe(1);
    expect(explain.lastRevisedAt).toEqual(expect.any(Number));
    const { rows } = await db.pool.query<{ revisions: number }>(
      `SELECT revisions FROM publication_revision WHERE api_name = 'daily'`,
    );
    expect(rows).toEqual([{ revisions: 1 }]);
  }, 900_000);

  it('a day quota used up stops its endpoint: the run and the matrix say so, and until when', async () => {
    sandbox.setFaults({ adj_factor: { quota: { window: 'day', calls: 1 } } });
    const before = sandbox.calls().adj_factor ?? 0;
    const out = await xassetCli(['run', '--to', '20240116'], env);
    // A partial run exits 3: adj_factor stopped, the other endpoints done.
    expect(out.code, out.stderr.slice(-3_000)).toBe(3);
    const p0 = p0Run(JSON.parse(out.stdout) as JobOut);
    expect(p0.status).toBe('partial');
    expect(p0.quotaStops).toEqual([
      { apiName: 'adj_factor', window: 'day', limit: 1, until: expect.any(String) },
    ]);
    const until = Date.parse(p0.quotaStops[0]?.until ?? '');
    expect(until).toBeGreaterThan(Date.now());
    // One accepted call, one refused; the endpoint's other tasks are not made.
    expect((sandbox.calls().adj_factor ?? 0) - before).toBe(2);

    const matrix = await json<MatrixOut>([
      'matrix',
      '--from',
      '20240116',
      '--to',
      '20240116',
      '--modules',
      'adj_factor,daily',
    ]);
    expect(matrix.quotaStops).toEqual([
      { module: 'adj_factor', window: 'day', limit: 1, blockedUntil: until },
    ]);
    const explain = await json<{ quotaStops: unknown[] }>(['matrix', 'explain', 'adj_factor', '20240116']);
    expect(explain.quotaStops).toEqual(matrix.quotaStops);
  }, 600_000);
});

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../contracts/config.js';
import { createSyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { kafkaCliEnv, xassetCliJson } from '../harness/cli.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

const FORCE = ['--force-phase', 'realtime test on a fresh store'];
const MODULES = ['p2RealtimeIndexV1', 'p2RealtimeEquityEtfV1'];

/**
 * `xasset fetch --realtime` and `--follow` through the real CLI on Kafka, the registry and
 * PostgreSQL, with `--at` as the clock: outside the session nothing runs; inside it each realtime
 * module at a fetching gray stage runs on its stage's pool, its minute bars land provisional and
 * its snapshots in realtime_quote; a follow stops by itself at the close.
 */
describe('xasset fetch --realtime / --follow, through the CLI on Kafka', () => {
  let db: IsolatedDatabase;
  let env: Record<string, string>;
  let stateDir: string;
  // The synthetic market's realtime endpoints answer its "today": the clock is put on that day.
  const market = createSyntheticMarket({ seed: loadConfig({}).sandbox.seed, size: 'tiny' });
  const today = market.today;
  const dashed = `${today.slice(0, 4)}-${today.slice(4, 6)}-${today.slice(6, 8)}`;

  const xasset = async (args: string[]) => {
    const out = await xassetCliJson(args, env, 300_000);
    // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON reports, read field by field
    return { ...out, json: out.json as any };
  };
  const count = async (sql: string): Promise<number> =>
    Number((await db.pool.query<{ n: string }>(sql, sql.includes('$1') ? [today] : [])).rows[0]?.n);

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-realtime-'));
    env = {
      ...kafkaCliEnv({ schema: db.schema, stateDir, topicPrefix: `rt${randomBytes(3).toString('hex')}.` }),
    };
  });
  afterAll(async () => {
    await db?.drop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('runs only inside the session, on the gray pools, and a follow stops at the close', async () => {
    const realtime = (at: string, extra: string[] = []) =>
      xasset(['fetch', '--realtime', '--sandbox', '--at', `${dashed}T${at}+08:00`, ...FORCE, ...extra]);

    // The pools are drawn from stored instruments: the reference data first.
    const reference = await xasset([
      'fetch',
      '--sandbox',
      '--apis',
      'stock_basic,index_basic,fund_basic',
      '--from',
      today,
      '--to',
      today,
      ...FORCE,
    ]);
    expect(reference.code, reference.stderr).toBe(0);
    expect((await xasset(['process'])).code).toBe(0);

    // 1. Before the open: no run, and it says when the session opens.
    const early = await realtime('08:00:00');
    expect(early.code, early.stderr).toBe(0);
    expect(early.json.rounds).toEqual([]);
    expect(early.json.note).toBe(`the session is closed: opens at ${dashed} 09:29 China time`);
    expect(early.stderr).toContain('the session is closed: opens at');
    expect((await xasset(['process'])).code).toBe(0);
    expect(await count('SELECT count(*) AS n FROM ingest_runs')).toBe(1);

    // 2. In the session, modules not started on the gray ladder fetch nothing.
    const notStarted = await realtime('10:00:00');
    expect(notStarted.code, notStarted.stderr).toBe(0);
    expect(notStarted.json.rounds[0].runs).toEqual([]);
    expect(notStarted.json.rounds[0].closedByGray).toEqual(
      MODULES.map((module) => ({ module, stage: null })),
    );

    // 3. At canary: one run per module of its realtime endpoints, on the canary share of its pool.
    for (const module of MODULES) {
      const set = await xasset(['gray', 'set', module, 'canary', '--reason', 'realtime test']);
      expect(set.code, set.stderr).toBe(0);
    }
    const once = await realtime('10:00:00');
    expect(once.code, once.stderr).toBe(0);
    expect(once.json.session).toMatchObject({ open: true, tradeDate: today });
    const runs = once.json.rounds[0].runs;
    expect(runs.map((r: { stage: string; status: string }) => [r.stage, r.status])).toEqual(
      MODULES.map((m) => [m, 'ok']),
    );
    const equity = runs[1];
    expect(equity.endpoints).toEqual({ planned: 2, skipped: 0 });
    const rtPool = equity.pools.find((p: { apiName: string }) => p.apiName === 'rt_min');
    expect(rtPool.codes.length).toBeGreaterThan(0);
    expect(rtPool.codes.length).toBeLessThan(rtPool.size);
    expect(once.stderr).toContain('realtime round 1 at');

    expect((await xasset(['process'])).code).toBe(0);
    const { rows: bars } = await db.pool.query<{ ts_code: string; provisional: boolean }>(
      `SELECT DISTINCT ts_code, provisional FROM minute_bar
        WHERE asset_class = 'stock' AND trade_date = $1::date ORDER BY ts_code`,
      [today],
    );
    expect(bars).toEqual([...rtPool.codes].sort().map((ts_code: string) => ({ ts_code, provisional: true })));
    expect(
      await count(
        `SELECT count(*) AS n FROM minute_bar WHERE asset_class = 'index' AND provisional AND trade_date = $1::date`,
      ),
    ).toBeGreaterThan(0);
    expect(
      await count(
        `SELECT count(*) AS n FROM realtime_quote WHERE asset_class = 'index' AND trade_date = $1::date`,
      ),
    ).toBeGreaterThan(0);
    expect(
      await count(
        `SELECT count(*) AS n FROM realtime_quote WHERE asset_class = 'etf' AND trade_date = $1::date`,
      ),
    ).toBeGreaterThan(0);
    expect(await count(`SELECT count(*) AS n FROM market_bar WHERE trade_date = $1::date`)).toBe(0);

    // 4. After the close: nothing runs.
    const runsBefore = await count('SELECT count(*) AS n FROM ingest_runs');
    const late = await realtime('15:00:00');
    expect(late.code, late.stderr).toBe(0);
    expect(late.json.rounds).toEqual([]);
    // The synthetic calendar ends with the year: no next open day may be known.
    expect(late.json.note).toMatch(/^the session is closed: opens at /);
    expect((await xasset(['process'])).code).toBe(0);
    expect(await count('SELECT count(*) AS n FROM ingest_runs')).toBe(runsBefore);

    // 5. A follow started seconds before the close runs, then stops by itself at 15:00.
    const follow = await xasset([
      'fetch',
      '--follow',
      '2',
      '--sandbox',
      '--at',
      `${dashed}T14:59:56+08:00`,
      ...FORCE,
    ]);
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.json.stopped).toBe('closed');
    expect(follow.json.rounds.length).toBeGreaterThanOrEqual(1);
    expect(follow.json.rounds.length).toBeLessThanOrEqual(3);
    for (const round of follow.json.rounds)
      expect(round.runs.every((r: { status: string }) => r.status === 'ok')).toBe(true);
    expect(follow.stderr).toContain('last round');
  }, 1_200_000);
});

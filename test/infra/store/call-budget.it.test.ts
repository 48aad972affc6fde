import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../producers/sandbox/server.js';
import { createSyntheticMarket } from '../../../producers/sandbox/synthetic/index.js';
import { tokenHash } from '../../../producers/tushare/budget.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';

const run = promisify(execFile);
const TOKEN = randomBytes(28).toString('hex');
/** Tushare's minute, shortened for the test on both sides: the sandbox counts it, the client keeps to it. */
const WINDOW_MS = 2_000;
const TUSHARE_LIMIT = 3;

interface RunReport {
  runs: {
    status: string;
    stats: { requests: number; errorsByClass: Record<string, number> };
    calls: Record<string, { planned: number; actual: number }>;
  }[];
}

async function fetchDaily(env: Record<string, string>, from: string, to: string): Promise<RunReport> {
  const { stdout } = await run(
    process.execPath,
    [
      'bin/xasset.js',
      'fetch',
      '--apis',
      'daily',
      '--from',
      from,
      '--to',
      to,
      '--force',
      '--force-phase',
      'test backfill on a fresh store',
    ],
    { env: { ...process.env, XASSET_LOG_LEVEL: 'warn', ...env }, timeout: 180_000 },
  );
  return JSON.parse(stdout) as RunReport;
}

const refusals = (report: RunReport) =>
  report.runs.reduce((n, r) => n + (r.stats.errorsByClass.XASSET_TUSHARE_RATE_LIMIT ?? 0), 0);

describe('the call budget learned from Tushare and shared through the store', () => {
  let db: IsolatedDatabase;
  let sandbox: Sandbox;
  let stateDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-budget-'));
    sandbox = await startSandbox({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      dataset: createSyntheticMarket({ seed: 7, size: 'tiny' }),
      faults: { daily: { rateLimitPerMinute: TUSHARE_LIMIT, rateWindowMs: WINDOW_MS } },
    });
    env = {
      XASSET_LOG: 'embedded',
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: stateDir,
      TUSHARE_API_URL: sandbox.url,
      TUSHARE_TOKEN: TOKEN,
      // Configured well above what the account really gets.
      TUSHARE_CALLS_PER_MINUTE: '50',
      TUSHARE_RATE_WINDOW_MS: String(WINDOW_MS),
    };
  }, 60_000);

  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('the first refusal teaches the limit: recorded as an event, and no later call of the run is refused', async () => {
    const first = await fetchDaily(env, '20240102', '20240112');
    expect(first.runs.map((r) => r.status)).toEqual(['ok']);
    expect(refusals(first)).toBe(1);
    const calls = first.runs[0]?.calls.daily;
    expect(calls?.planned).toBe(9);
    // Nine days, one refused call retried: ten requests.
    expect(calls?.actual).toBe(10);
    const { rows } = await db.pool.query(
      'SELECT token_hash, api_name, rate_window, call_limit FROM tushare_budget',
    );
    expect(rows).toEqual([
      { token_hash: tokenHash(TOKEN), api_name: 'daily', rate_window: 'minute', call_limit: TUSHARE_LIMIT },
    ]);
    const events = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM event_log WHERE position(convert_to($1, 'UTF8') IN value) > 0`,
      [TOKEN],
    );
    expect(events.rows[0]?.n).toBe(0);
  }, 180_000);

  it('two later runs side by side share the learned budget: neither is refused', async () => {
    const [a, b] = await Promise.all([
      fetchDaily(env, '20240115', '20240126'),
      fetchDaily(env, '20240129', '20240207'),
    ]);
    for (const report of [a, b]) {
      expect(report.runs.map((r) => r.status)).toEqual(['ok']);
      expect(refusals(report)).toBe(0);
    }
    expect((a.runs[0]?.calls.daily?.actual ?? 0) + (b.runs[0]?.calls.daily?.actual ?? 0)).toBeGreaterThan(
      2 * TUSHARE_LIMIT,
    );
  }, 240_000);
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../contracts/config.js';
import { createSyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

const run = promisify(execFile);

/** stk_premarket through the real CLI (embedded log on PostgreSQL 15): fetched only while its flag is on. */
describe('xasset: stk_premarket behind its flag and probe', () => {
  let db: IsolatedDatabase;
  let stateDir: string;
  let env: Record<string, string>;

  async function xasset(args: string[]) {
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/xasset.js', ...args], {
        env: { ...process.env, ...env },
        timeout: 120_000,
      });
      return { code: 0, stdout, stderr, json: JSON.parse(stdout) as unknown };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr, json: undefined };
    }
  }

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-premarket-'));
    env = {
      XASSET_LOG: 'embedded',
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: stateDir,
      XASSET_LOG_LEVEL: 'warn',
      XASSET_SANDBOX_SIZE: 'tiny',
    };
  });
  afterAll(async () => {
    await db?.drop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('is not fetched while its flag is off, and is fetched and stored (shares) after a passed probe turns it on', async () => {
    const market = createSyntheticMarket({ seed: loadConfig({}).sandbox.seed, size: 'tiny' });
    const day = market.tradingDays().at(-3) as string;
    const fetchDay = [
      'fetch',
      '--apis',
      'stk_premarket',
      '--sandbox',
      '--from',
      day,
      '--to',
      day,
      '--force-phase',
      'test backfill on a fresh store',
    ];
    const stored = async () =>
      (
        await db.pool.query<{ ts_code: string; total_share: number }>(
          'SELECT ts_code, total_share FROM stk_premarket ORDER BY ts_code',
        )
      ).rows;

    const off = await xasset(fetchDay);
    expect(off.code, off.stderr).toBe(0);
    const offReport = off.json as {
      note: string | null;
      runs: { skipped: unknown[]; tasks: unknown; endpoints: unknown }[];
    };
    expect(offReport.runs[0]?.skipped).toEqual([
      {
        apiName: 'stk_premarket',
        reason: 'switch_off',
        detail: 'p2SpecialPermissionStkPremarketV1 is false',
      },
    ]);
    // A skip is counted as one: the endpoint in `endpoints.skipped`, no task planned or left unreached.
    expect(offReport.runs[0]?.tasks).toEqual({ total: 0, done: 0, failed: 0, notReached: 0 });
    expect(offReport.runs[0]?.endpoints).toEqual({ planned: 0, skipped: 1 });
    expect(offReport.note).toBe('nothing fetched: all 1 endpoints skipped (1 switched off)');
    const set = ['flags', 'set', 'p2SpecialPermissionStkPremarketV1=true', '--reason', 'premarket'];
    const refused = await xasset(set);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('needs a passed permission probe of stk_premarket');

    const probe = await xasset(['probe', 'stk_premarket', '--sandbox']);
    expect(probe.code, probe.stderr).toBe(0);
    const allowed = await xasset(set);
    expect(allowed.code, allowed.stderr).toBe(0);

    const on = await xasset(fetchDay);
    expect(on.code, on.stderr).toBe(0);
    const processed = await xasset(['process']);
    expect(processed.code, processed.stderr).toBe(0);
    const served = market.query('stk_premarket', { trade_date: day });
    expect(served.length).toBeGreaterThan(0);
    const rows = await stored();
    expect(rows.map((r) => r.ts_code)).toEqual(served.map((r) => String(r.ts_code)).sort());
    const first = served.find((r) => r.ts_code === rows[0]?.ts_code);
    expect(rows[0]?.total_share).toBeCloseTo(Number(first?.total_share) * 10_000, 0);
  });
});

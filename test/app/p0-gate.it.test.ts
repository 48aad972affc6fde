import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, chinaDate } from '../../contracts/dates.js';
import { DEFAULT_FLAGS } from '../../contracts/flags.js';
import { openEmbeddedPglite } from '../../infra/store/embedded-pglite.js';
import { createPool } from '../../infra/store/pg.js';
import { createSyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { computeMatrix } from '../../projections/matrix/matrix.js';

const execFileAsync = promisify(execFile);

interface GateEntry {
  gate: string;
  passed: boolean;
  provenBy: string | null;
  failures: string[];
}

/**
 * The gates as a user meets them, through the CLI on the embedded store: a healthy P0 month from
 * the sandbox (whose market suspends stocks, as the real one does) passes the P0 gate, the
 * suspended stock-days counted as not applicable; a sick day (one endpoint failing) fails it, and
 * the run that met the failure exits 3.
 */
describe('P0 gate on sandbox data, through the CLI', () => {
  // The sandbox the CLI starts: the default seed, the tiny market (39 stocks).
  const market = createSyntheticMarket({ seed: 20_240_101, size: 'tiny' });
  const today = chinaDate();
  const open = market.tradingDays().filter((d) => d <= today);
  const suspendedOn = (day: string) =>
    market
      .query('suspend_d', { trade_date: day })
      .filter((r) => r.suspend_type === 'S')
      .map((r) => String(r.ts_code));
  // The latest three sessions in a row that each have a stock suspended all day: one of 39 is
  // 2.6%, so without the suspension data their coverage (0.974) would fail the 0.98 threshold.
  let end = open.length - 1;
  while (end >= 2 && ![0, 1, 2].every((k) => suspendedOn(open[end - k] as string).length > 0)) end--;
  const gateDays = open.slice(end - 2, end + 1);
  const monthStart = open.find((d) => d >= addDays(gateDays[0] as string, -30)) as string;
  const lastGateDay = gateDays[2] as string;
  const after = open.filter((d) => d > lastGateDay);

  let stateDir: string;
  let env: Record<string, string>;

  async function xasset(args: string[], extra: Record<string, string> = {}) {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, ['bin/xasset.js', ...args], {
        env: { ...process.env, ...env, ...extra },
        timeout: 240_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }
  const fetchDays = async (from: string, to: string, extra: Record<string, string> = {}, force = false) =>
    xasset(
      ['fetch', '--sandbox', '--batch', 'p0', '--from', from, '--to', to, ...(force ? ['--force'] : [])],
      extra,
    );
  const p0Gate = async (asOf: string): Promise<GateEntry> => {
    const snapshot = await xasset(['gate', 'snapshot', '--as-of', asOf]);
    expect(snapshot.code, snapshot.stderr).toBe(0);
    return (JSON.parse(snapshot.stdout) as { gates: GateEntry[] }).gates.find(
      (g) => g.gate === 'p0',
    ) as GateEntry;
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-p0-gate-'));
    env = {
      XASSET_STATE_DIR: stateDir,
      XASSET_SANDBOX_SIZE: 'tiny',
      XASSET_LOG_LEVEL: 'warn',
      XASSET_GATE_DAYS: '3',
      XASSET_GATE_MIN_COVERAGE: '0.98',
      TUSHARE_MAX_ATTEMPTS: '1',
    };
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('passes on a healthy month with suspended stock-days not applicable, and fails on a sick day', async () => {
    expect(gateDays).toHaveLength(3);
    // The month before the gate days in one run; each gate day its own run (the as-of clock counts
    // a run for the trade date it proves); then up to today, which the natural clock reads.
    if (monthStart < (gateDays[0] as string)) {
      const month = await fetchDays(monthStart, addDays(gateDays[0] as string, -1));
      expect(month.code, month.stderr).toBe(0);
    }
    for (const day of gateDays) {
      const one = await fetchDays(day, day);
      expect(one.code, one.stderr).toBe(0);
    }
    if (after.length > 0) {
      const rest = await fetchDays(after[0] as string, today);
      expect(rest.code, rest.stderr).toBe(0);
    }
    const processed = await xasset(['process']);
    expect(processed.code, processed.stderr).toBe(0);

    const healthy = await p0Gate(lastGateDay);
    expect(healthy.failures).toEqual([]);
    expect(healthy).toMatchObject({ passed: true });

    // The store, opened after the CLI let go of it: suspended stock-days are not applicable.
    const store = await openEmbeddedPglite({ dataDir: join(stateDir, 'embedded', 'pglite'), port: 0 });
    const pool = createPool({ url: store.url, schema: 'public', size: 1 });
    try {
      const suspended = suspendedOn(lastGateDay);
      const cells = await computeMatrix(pool, {
        target: suspended,
        modules: ['daily'],
        from: lastGateDay,
        to: lastGateDay,
        flags: DEFAULT_FLAGS,
      });
      expect(cells.cells.map((c) => [c.target, c.status, c.reason])).toEqual(
        suspended.map((code) => [code, 'not_applicable', 'suspended']),
      );
      const universe = await computeMatrix(pool, {
        target: 'universe',
        modules: ['daily'],
        from: gateDays[0] as string,
        to: lastGateDay,
        flags: DEFAULT_FLAGS,
      });
      for (const [i, cell] of universe.cells.entries()) {
        expect(cell).toMatchObject({ status: 'complete', coverage: 1 });
        expect(cell.suspended).toBe(suspendedOn(gateDays[i] as string).length);
      }
    } finally {
      await pool.end();
      await store.close();
    }

    // A sick day: fund_daily answers 500 every time, so the re-run of the last gate day is partial.
    const faults = join(stateDir, 'faults.json');
    await writeFile(faults, JSON.stringify({ fund_daily: { serverErrors: { every: 1 } } }));
    const sick = await fetchDays(lastGateDay, lastGateDay, { XASSET_SANDBOX_FAULTS: faults }, true);
    expect(sick.code, sick.stderr).toBe(3);
    expect(JSON.parse(sick.stdout)).toMatchObject({ status: 'partial' });
    const failed = await p0Gate(lastGateDay);
    expect(failed.passed).toBe(false);
    expect(failed.failures.join(' ')).toMatch(/fund_daily|failed/);
  }, 900_000);
});

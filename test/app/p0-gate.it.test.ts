import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, chinaDate } from '../../contracts/dates.js';
import { DEFAULT_FLAGS } from '../../contracts/flags.js';
import { openEmbeddedPglite } from '../../infra/store/embedded-pglite.js';
import { createPool } from '../../infra/store/pg.js';
import { createSyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { computeMatrix } from '../../projections/matrix/matrix.js';
import { xassetCli } from '../harness/cli.js';

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
  let sickDir: string;
  let env: Record<string, string>;

  const xasset = (args: string[], extra: Record<string, string> = {}) =>
    xassetCli(args, { ...env, ...extra });
  /** `run` over a range: fetch, process, projections, in one process. */
  const runDays = async (from: string, to: string, extra: Record<string, string> = {}) =>
    xasset(['run', '--sandbox', '--batch', 'p0', '--from', from, '--to', to], extra);
  /** A fresh store is in phase A, where nothing runs: set up and advanced to B as an operator does. */
  const toPhaseB = async (extra: Record<string, string> = {}) => {
    for (const args of [['migrate'], ['phase', 'advance']]) {
      const step = await xasset(args, extra);
      expect(step.code, step.stderr).toBe(0);
    }
  };
  const p0Gate = async (asOf: string, extra: Record<string, string> = {}): Promise<GateEntry> => {
    const snapshot = await xasset(['gate', 'snapshot', '--as-of', asOf], extra);
    expect(snapshot.code, snapshot.stderr).toBe(0);
    return (JSON.parse(snapshot.stdout) as { gates: GateEntry[] }).gates.find(
      (g) => g.gate === 'p0',
    ) as GateEntry;
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-p0-gate-'));
    sickDir = await mkdtemp(join(tmpdir(), 'xasset-p0-sick-'));
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
    await rm(sickDir, { recursive: true, force: true });
  });

  it('passes on a healthy month with suspended stock-days not applicable, and fails on a sick day', async () => {
    expect(gateDays).toHaveLength(3);
    // The month up to the first gate day in one run; the other gate days one run each (the as-of
    // clock counts a run for the trade date it proves); then up to today, which the natural clock reads.
    await toPhaseB();
    const runs: [string, string][] = [
      [monthStart, gateDays[0] as string],
      [gateDays[1] as string, gateDays[1] as string],
      [lastGateDay, lastGateDay],
      ...(after.length > 0 ? [[after[0] as string, today] as [string, string]] : []),
    ];
    for (const [from, to] of runs) {
      const run = await runDays(from, to);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ fetch: { status: 'ok', runs: [{ from, to }] } });
    }

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
        phase: { phase: 'B', frozen: false },
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
        phase: { phase: 'B', frozen: false },
      });
      for (const [i, cell] of universe.cells.entries()) {
        expect(cell).toMatchObject({ status: 'complete', coverage: 1 });
        expect(cell.suspended).toBe(suspendedOn(gateDays[i] as string).length);
      }
    } finally {
      await pool.end();
      await store.close();
    }

    // The same days on a fresh store, with fund_daily answering 500 every time: the run is partial
    // and exits 3, and the gate fails on the coverage it lacks.
    const faults = join(sickDir, 'faults.json');
    await writeFile(faults, JSON.stringify({ fund_daily: { serverErrors: { every: 1 } } }));
    const sickEnv = { XASSET_STATE_DIR: sickDir, XASSET_SANDBOX_FAULTS: faults };
    await toPhaseB(sickEnv);
    const sick = await runDays(gateDays[0] as string, today, sickEnv);
    expect(sick.code, sick.stderr).toBe(3);
    expect(JSON.parse(sick.stdout)).toMatchObject({ fetch: { status: 'partial' } });
    const failed = await p0Gate(lastGateDay, { XASSET_STATE_DIR: sickDir });
    expect(failed.passed).toBe(false);
    expect(failed.failures.join(' ')).toMatch(/coverage_below:\d{8}:fund_daily:0/);
  }, 900_000);
});

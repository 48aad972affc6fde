import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreMatrixSource } from '../../projections/api/adapters.js';
import { PgProjectionReader } from '../../projections/api/pg-reader.js';
import { kafkaCliEnv, xassetCliJson } from '../harness/cli.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

interface Out {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON reports, read field by field
  json: any;
}

/** Open days of the synthetic market in January 2026, one run each (the as-of clock counts them). */
const DAYS = ['20260106', '20260107', '20260108', '20260109', '20260112', '20260113', '20260114', '20260115'];
/** The days after: three clean P1 days to leave C, then phase D's gray release. */
const LATER = [
  '20260116',
  '20260119',
  '20260120',
  '20260121',
  '20260122',
  '20260123',
  '20260126',
  '20260127',
];
const P2_MODULES = ['p2RealtimeIndexV1', 'p2RealtimeEquityEtfV1', 'p2FuturesMicrostructureV1'];

/**
 * The roadmap's phase rules through the real CLI on a fresh store, on Kafka, the registry and
 * PostgreSQL: nothing runs in A; migrate and advance open P0 in B (P1 not applicable by phase);
 * three clean days open C and P1; a P0 regression freezes C and stops P1 at once while P0 goes
 * on; three clean days after the repair baseline lift the freeze.
 */
describe('phases govern what runs, through the CLI on Kafka', () => {
  let db: IsolatedDatabase;
  let env: Record<string, string>;
  let stateDir: string;

  async function xasset(args: string[], extra: Record<string, string> = {}): Promise<Out> {
    const out = await xassetCliJson(args, { ...env, ...extra });
    return { ...out, code: Number(out.code) };
  }
  /** One trade date fetched (the as-of clock counts one per run); `process` stores it later. */
  const runDay = (day: string, extra: string[] = [], env2: Record<string, string> = {}) =>
    xasset(['fetch', '--sandbox', '--from', day, '--to', day, ...extra], env2);
  const processAll = async () => expect((await xasset(['process'])).code).toBe(0);
  const stages = (out: Out): string[] => out.json.runs.map((r: { stage: string }) => r.stage);

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-phases-'));
    env = {
      ...kafkaCliEnv({ schema: db.schema, stateDir, topicPrefix: `ph${randomBytes(3).toString('hex')}.` }),
      // Suspended stocks have no bar; the tiny market suspends a large share of its few stocks.
      XASSET_GATE_MIN_COVERAGE: '0.5',
      // Gray release in few days: probe → canary → share:50 → full, one clean day per stage.
      XASSET_GRAY_SHARES: '0.5',
      XASSET_GRAY_DAYS: '1',
    };
  });
  afterAll(async () => {
    await db?.drop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('A → B → C, a regression freezes C and stops P1 while P0 goes on, and the freeze lifts', async () => {
    // 1. Phase A: nothing runs, and the report says why.
    const inA = await runDay(DAYS[0] as string);
    expect(inA.code, inA.stderr).toBe(0);
    expect(inA.json.runs).toEqual([]);
    expect(inA.json.phase).toEqual({ current: 'A', frozen: false });
    expect(inA.json.notInForce.p0Enabled).toEqual({
      reason: 'phase',
      detail: 'p0Enabled takes effect from phase B; the store is in phase A',
    });
    const refused = await xasset(['phase', 'advance']);
    expect(refused.code).not.toBe(0);
    const shown = await xasset(['phase', 'show']);
    expect(shown.json.mayAdvance).toBe(false);
    expect(shown.json.unmet.map((u: { code: string }) => u.code)).toEqual(
      expect.arrayContaining(['flags_baseline_missing', 'rollback_baseline_missing']),
    );

    // 2. migrate appends the baselines; advance reaches B. P0 runs, P1 is not applicable by phase.
    const migrated = await xasset(['migrate']);
    expect(migrated.code, migrated.stderr).toBe(0);
    const toB = await xasset(['phase', 'advance']);
    expect(toB.json, toB.stderr).toMatchObject({ advanced: true, from: 'A', to: 'B' });
    for (const day of DAYS.slice(0, 3)) {
      const p0 = await runDay(day);
      expect(p0.code, p0.stderr).toBe(0);
      expect(stages(p0)).toEqual(['reference', 'p0']);
    }
    await processAll();
    const matrix = await new StoreMatrixSource(db.pool, new PgProjectionReader(db.pool)).matrix({
      target: 'universe',
      modules: ['daily', 'fx_daily'],
      from: DAYS[0] as string,
      to: DAYS[2] as string,
    });
    const cell = (module: string) => matrix.cells.find((c) => c.module === module && c.tradeDate === DAYS[1]);
    expect(cell('fx_daily')).toMatchObject({ status: 'not_applicable', reason: 'phase' });
    expect(cell('daily')?.status).not.toBe('not_applicable');
    const flags = await xasset(['flags', 'show']);
    expect(flags.json.differences.p1Enabled.reason).toBe('phase');

    // 3. Three clean days: advance to C, and P1 runs.
    const toC = await xasset(['phase', 'advance']);
    expect(toC.json, toC.stdout + toC.stderr).toMatchObject({ advanced: true, from: 'B', to: 'C' });
    const inC = await runDay(DAYS[3] as string);
    expect(inC.code, inC.stderr).toBe(0);
    expect(stages(inC)).toContain('p1');

    // 4. A P0 regression: every call refused on the next day. The evaluator freezes C back to B.
    const faults = join(stateDir, 'faults.json');
    await writeFile(faults, JSON.stringify({ '*': { permissionDenied: true } }));
    const broken = await runDay(DAYS[4] as string, ['--batch', 'p0'], { XASSET_SANDBOX_FAULTS: faults });
    expect(broken.json.runs[0].status).toBe('failed');
    await processAll();
    const evaluated = await xasset(['gate', 'evaluate']);
    expect(evaluated.json.freeze, evaluated.stderr).toMatchObject({ phase: 'C', gates: ['p0'] });
    const frozen = await runDay(DAYS[5] as string);
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(frozen.json.phase).toEqual({ current: 'B', frozen: true });
    expect(stages(frozen)).toEqual(['reference', 'p0']);
    expect(frozen.json.notInForce.p1Enabled ?? null).toBeNull(); // the freeze switched it off too

    // 5. Repaired: three clean days from the repair baseline, and the freeze lifts.
    for (const day of DAYS.slice(6, 8)) expect((await runDay(day)).code).toBe(0);
    await processAll();
    // The roadmap's "stable repaired baseline run": the first run after the repair.
    const { rows } = await db.pool.query<{ started_offset: string }>(
      `SELECT min(started_offset) AS started_offset FROM ingest_runs WHERE to_date = $1::date`,
      [DAYS[5]],
    );
    const baseline = { XASSET_GATE_BASELINE_OFFSET: String(rows[0]?.started_offset) };
    const lifted = await xasset(['phase', 'advance'], baseline);
    expect(lifted.json, lifted.stdout + lifted.stderr).toMatchObject({
      advanced: true,
      from: 'B',
      to: 'C',
      liftedFreeze: true,
    });
    const after = await xasset(['flags', 'show']);
    expect(after.json.phase).toEqual({ current: 'C', frozen: false });
    expect(after.json.effective).toMatchObject({ p0Enabled: true, p1Enabled: true, p2Enabled: false });
  }, 1_200_000);

  it('C → D → E: the P2 modules climb their gray stages, a failing one steps back alone, and E ends all on', async () => {
    const [c1, c2, c3, d1, d2, d3, d4, d5] = LATER as [string, ...string[]] as string[];
    const stages = (out: Out): string[] => out.json.runs.map((r: { stage: string }) => r.stage);
    const evaluate = async () => {
      const out = await xasset(['gate', 'evaluate']);
      expect(out.code, out.stderr).toBe(0);
      return out.json;
    };
    const grayStages = async (): Promise<Record<string, string | null>> => {
      const shown = await xasset(['gray', 'show', '--json']);
      expect(shown.code, shown.stderr).toBe(0);
      return Object.fromEntries(
        shown.json.modules.map((m: { module: string; stage: string | null }) => [m.module, m.stage]),
      );
    };

    // Every run of these scenarios starts on one real day, so the wall clock puts them all on one
    // session: the failed P0 day of the first scenario would break every gate on it. The gates
    // count from the repair baseline from here on, as the freeze's lift did.
    const repaired = await db.pool.query<{ started_offset: string }>(
      `SELECT min(started_offset) AS started_offset FROM ingest_runs WHERE to_date = $1::date`,
      [DAYS[5]],
    );
    env.XASSET_GATE_BASELINE_OFFSET = String(repaired.rows[0]?.started_offset);

    // 1. Three clean days of P0 and P1 in C: D opens (P0 and P1 stable, the roadmap's rule).
    for (const day of [c1, c2, c3]) {
      const run = await runDay(day as string);
      expect(run.code, run.stderr).toBe(0);
      expect(stages(run)).toEqual(['reference', 'p0', 'p1']);
    }
    await processAll();
    const toD = await xasset(['phase', 'advance']);
    expect(toD.json, toD.stdout + toD.stderr).toMatchObject({ advanced: true, from: 'C', to: 'D' });

    // 2. In D the modules start at probe: nothing of P2 is fetched until every endpoint passed a probe.
    expect((await evaluate()).gray.map((s: { action: string }) => s.action)).toEqual([
      'start',
      'start',
      'start',
    ]);
    const probing = await runDay(d1 as string);
    expect(probing.code, probing.stderr).toBe(0);
    expect(probing.json.closedByGray).toEqual(P2_MODULES.map((module) => ({ module, stage: 'probe' })));
    for (const module of P2_MODULES) {
      const probed = await xasset(['probe', module, '--sandbox']);
      expect(probed.code, probed.stderr).toBe(0);
      expect(probed.json.probes.every((p: { passed: boolean }) => p.passed)).toBe(true);
    }
    await evaluate();
    expect(await grayStages()).toMatchObject(Object.fromEntries(P2_MODULES.map((m) => [m, 'canary'])));
    const early = await xasset(['phase', 'advance']);
    expect(early.code).not.toBe(0);
    expect(early.json.reasons).toEqual(
      expect.arrayContaining(['gray_not_full:p2RealtimeEquityEtfV1:canary']),
    );

    // 3. Canary: each module runs as its own chain on a share of its pool, after the main chain.
    const canary = await runDay(d2 as string);
    expect(canary.code, canary.stderr).toBe(0);
    expect(stages(canary)).toEqual(['reference', 'p0', 'p1', ...P2_MODULES]);
    const equity = canary.json.runs.find((r: { stage: string }) => r.stage === 'p2RealtimeEquityEtfV1');
    const stkPool = equity.pools.find((p: { apiName: string }) => p.apiName === 'stk_mins');
    expect(stkPool.codes.length).toBeGreaterThan(0);
    expect(stkPool.codes.length).toBeLessThan(stkPool.size);
    await processAll();
    const { rows: minute } = await db.pool.query<{ codes: string }>(
      `SELECT count(DISTINCT ts_code) AS codes FROM minute_bar WHERE asset_class = 'stock' AND trade_date = $1::date`,
      [d2],
    );
    expect(Number(minute[0]?.codes)).toBe(stkPool.codes.length);
    await evaluate();
    expect(await grayStages()).toMatchObject(Object.fromEntries(P2_MODULES.map((m) => [m, 'share:50'])));

    // 4. The equity module fails (its minute endpoint refused): it alone steps back and is switched
    // off; the main chain's runs, gates and the job's exit status do not change.
    const faults = join(stateDir, 'p2-faults.json');
    await writeFile(faults, JSON.stringify({ stk_mins: { permissionDenied: true } }));
    const failing = await runDay(d3 as string, [], { XASSET_SANDBOX_FAULTS: faults });
    expect(failing.code, failing.stderr).toBe(0);
    const byStage = Object.fromEntries(
      failing.json.runs.map((r: { stage: string; status: string }) => [r.stage, r.status]),
    );
    expect(byStage).toMatchObject({ reference: 'ok', p0: 'ok', p1: 'ok', p2RealtimeEquityEtfV1: 'failed' });
    expect(await grayStages()).toMatchObject({ p2RealtimeEquityEtfV1: 'canary' });
    const flagsNow = await xasset(['flags', 'show']);
    expect(flagsNow.json.stored).toMatchObject({
      p0Enabled: true,
      p1Enabled: true,
      p2RealtimeEquityEtfV1: false,
    });
    await processAll();
    const snapshot = await xasset(['gate', 'snapshot']);
    const gateOf = (gate: string) => snapshot.json.gates.find((g: { gate: string }) => g.gate === gate);
    expect(gateOf('p0')?.passed).toBe(true);
    expect(gateOf('p1')?.passed).toBe(true);
    expect(gateOf('p2')?.failures).toEqual(
      expect.arrayContaining([`blocking_module_failed:${d3}:p2RealtimeEquityEtfV1`]),
    );

    // 5. Repaired and switched on again, it climbs again from canary; the others reach full.
    const on = await xasset([
      'flags',
      'set',
      'p2RealtimeEquityEtfV1=true',
      '--reason',
      'permission restored',
    ]);
    expect(on.code, on.stderr).toBe(0);
    await evaluate();
    expect((await runDay(d4 as string)).code).toBe(0);
    await processAll();
    await evaluate();
    expect(await grayStages()).toMatchObject({
      p2RealtimeIndexV1: 'full',
      p2FuturesMicrostructureV1: 'full',
      p2RealtimeEquityEtfV1: 'share:50',
    });
    // An operator's rollback restores the previous stage; set puts it back.
    const rollback = await xasset(['gray', 'rollback', 'p2RealtimeIndexV1', '--reason', 'drill']);
    expect(rollback.json, rollback.stderr).toMatchObject({ from: 'full', to: 'share:50' });
    const refused = await xasset(['gray', 'promote', 'p2RealtimeIndexV1', '--reason', 'too early']);
    expect(refused.code).not.toBe(0);
    const reset = await xasset(['gray', 'set', 'p2RealtimeIndexV1', 'full', '--reason', 'drill over']);
    expect(reset.json, reset.stderr).toMatchObject({ from: 'share:50', to: 'full' });
    expect((await runDay(d5 as string)).code).toBe(0);
    await processAll();
    await evaluate();
    expect(await grayStages()).toMatchObject(Object.fromEntries(P2_MODULES.map((m) => [m, 'full'])));

    // 6. D's gate holds (three clean P2 days from the repair, every module full): E, and the
    // roadmap's all-on state. The repair baseline is the first run after the failed day, as in C.
    expect((await runDay('20260128')).code).toBe(0);
    await processAll();
    const { rows } = await db.pool.query<{ started_offset: string }>(
      `SELECT min(started_offset) AS started_offset FROM ingest_runs WHERE to_date = $1::date`,
      [d4],
    );
    const baseline = { XASSET_GATE_BASELINE_OFFSET: String(rows[0]?.started_offset) };
    const toE = await xasset(['phase', 'advance'], baseline);
    expect(toE.json, toE.stdout + toE.stderr).toMatchObject({ advanced: true, from: 'D', to: 'E' });
    const allOn = await xasset(['gate', 'evaluate'], baseline);
    expect(allOn.json.freeze, allOn.stderr).toBeNull();
    const final = await xasset(['flags', 'show']);
    expect(final.json.phase).toEqual({ current: 'E', frozen: false });
    expect(final.json.effective).toMatchObject({
      p0Enabled: true,
      p1Enabled: true,
      p2Enabled: true,
      p2RealtimeIndexV1: true,
      p2RealtimeEquityEtfV1: true,
      p2FuturesMicrostructureV1: true,
      // The premarket switch stays behind its probe.
      p2SpecialPermissionStkPremarketV1: false,
    });
  }, 1_500_000);
});

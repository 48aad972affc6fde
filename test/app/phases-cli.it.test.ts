import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreMatrixSource } from '../../projections/api/adapters.js';
import { PgProjectionReader } from '../../projections/api/pg-reader.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

const exec = promisify(execFile);

interface Out {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON reports, read field by field
  json: any;
}

/** Open days of the synthetic market in January 2026, one run each (the as-of clock counts them). */
const DAYS = ['20260106', '20260107', '20260108', '20260109', '20260112', '20260113', '20260114', '20260115'];

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
    let out: Omit<Out, 'json'>;
    try {
      const { stdout, stderr } = await exec(process.execPath, ['bin/xasset.js', ...args], {
        env: { ...process.env, XASSET_LOG_LEVEL: 'warn', ...env, ...extra },
        timeout: 240_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      out = { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      out = { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
    let json: unknown = null;
    try {
      json = JSON.parse(out.stdout);
    } catch {
      json = null;
    }
    return { ...out, json };
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
      XASSET_LOG: 'kafka',
      XASSET_KAFKA_BROKERS: services().kafkaBrokers.join(','),
      XASSET_REGISTRY_URL: services().registryUrl,
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_TOPIC_PREFIX: `ph${randomBytes(3).toString('hex')}.`,
      XASSET_STATE_DIR: stateDir,
      XASSET_SANDBOX_SIZE: 'tiny',
      // Suspended stocks have no bar; the tiny market suspends a large share of its few stocks.
      XASSET_GATE_MIN_COVERAGE: '0.5',
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
});

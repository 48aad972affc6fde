import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDate } from '../../contracts/dates.js';
import { CommandRefusedError } from '../../contracts/errors.js';
import type { ControlEventType, ControlPayload } from '../../contracts/events/control.js';
import { FLAG_NAMES, type RolloutFlags } from '../../contracts/flags.js';
import type { KafkaEventLog } from '../../infra/log/kafka-event-log.js';
import { migrate } from '../../infra/migrations/migrate.js';
import { StoreMatrixSource, takeGateSnapshot } from '../../projections/api/adapters.js';
import { coverageFromMatrix } from '../../projections/api/gate-snapshot.js';
import { openDatesUpTo, PgProjectionReader } from '../../projections/api/pg-reader.js';
import { appendBaselines } from '../../projections/commands/baselines.js';
import { rollbackFlags, setFlags } from '../../projections/commands/flags.js';
import type { CommandPorts } from '../../projections/commands/handle.js';
import { advancePhaseThroughGates } from '../../projections/commands/phase-gates.js';
import { freezePhase } from '../../projections/commands/phases.js';
import { evaluateGate } from '../../projections/gates/evaluate.js';
import { evaluateFoundation } from '../../projections/gates/phases.js';
import type { GateBaseline, GateName, GateVerdict } from '../../projections/gates/types.js';
import { lastModuleOutcomes, nextWaveAction } from '../../projections/gates/waves.js';
import {
  appendControl,
  type ControlLogPorts,
  controlEnd,
  newControlEvent,
} from '../../projections/log/control-log.js';
import { ControlView } from '../../projections/log/control-view.js';
import { reapStaleRuns } from '../../projections/reaper/reaper.js';
import { stateAsOf } from '../../projections/replay/as-of.js';
import { gateRuns } from '../../projections/replay/gate-runs.js';
import { verifyProjections } from '../../projections/replay/rebuild.js';
import { ProjectionRunner } from '../../projections/runner/runner.js';
import { kafkaControlLog } from '../harness/kafka-control-log.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';
import { readPhase, readRun, readRuns } from './store/read-tables.js';

/**
 * The roadmap's story on the real control plane: Kafka with the Confluent-API registry as the
 * control log, PostgreSQL 15 for the projections and the market data the matrix reads. Control
 * events go in through the commands (and, for what a producer would report, `appendControl`); the
 * tables are folded by the ProjectionRunner; every gate number below is computed by the gate code
 * over those tables.
 */

/** The real day of the story: Friday 13 March 2026, 09:00 in Beijing. */
const T = Date.parse('2026-03-13T01:00:00.000Z');
const MIN = 60_000;
const thresholds = { requiredDays: 3, minCoverage: 0.98 };

const STATS = {
  requests: 1,
  pages: 1,
  retries: 0,
  rowsFetched: 10,
  rowsEmitted: 10,
  errorsByClass: {},
  durationMs: 1_000,
};

const switches = (flags: RolloutFlags) => Object.fromEntries(FLAG_NAMES.map((name) => [name, flags[name]]));

describe('the roadmap scenario on Kafka + registry + PostgreSQL 15', () => {
  let log: KafkaEventLog;
  let db: IsolatedDatabase;
  let ports: ControlLogPorts;
  let commands: CommandPorts;
  let runner: ProjectionRunner;
  let reader: PgProjectionReader;
  /** The roadmap's "stable repaired baseline run": the RunStarted offset from which runs count. */
  let baseline: GateBaseline;

  const append = <K extends ControlEventType>(type: K, payload: ControlPayload<K>, at: number) =>
    appendControl(ports, newControlEvent(type, payload, { actor: 'producer', now: at }));

  /** One main-chain run replaying (or fetching) one trade date; returns its RunStarted offset. */
  async function mainRun(
    runId: string,
    tradeDate: string,
    at: number,
    status: 'ok' | 'failed',
    batch = 'p0',
  ): Promise<number> {
    const [started] = await append(
      'RunStarted',
      { runId, chain: 'main', batch, fromDate: tradeDate, toDate: tradeDate, heartbeatTimeoutMs: MIN },
      at,
    );
    await append(
      'RunFinished',
      { runId, status, stats: STATS, error: status === 'failed' ? 'HTTP 500 from the Tushare API' : null },
      at + 2 * MIN,
    );
    return started as number;
  }

  /** The window and coverage the snapshot uses, so a verdict here differs from it only by `baseline`. */
  async function evaluate(gate: GateName, now: number, withBaseline?: GateBaseline): Promise<GateVerdict> {
    const openDates = await openDatesUpTo(db.pool, chinaDate(now), thresholds.requiredDays + 5);
    const matrix = await new StoreMatrixSource(db.pool, reader).matrix({
      target: 'universe',
      from: openDates[0] as string,
      to: openDates.at(-1) as string,
    });
    return evaluateGate({
      gate,
      runs: gateRuns(await readRuns(db.pool, { limit: 10_000 })),
      coverage: coverageFromMatrix(matrix),
      openDates,
      thresholds,
      now,
      ...(withBaseline ? { baseline: withBaseline } : {}),
    });
  }

  const snapshot = (now: number) => takeGateSnapshot(db.pool, thresholds, null, () => new Date(now));
  const refusal = async (work: Promise<unknown>): Promise<CommandRefusedError> => {
    const err = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommandRefusedError);
    return err as CommandRefusedError;
  };

  beforeAll(async () => {
    const control = await kafkaControlLog('xasset-scenario-it');
    log = control.log;
    const { codec, topic } = control;
    db = await isolatedSchema(services().postgresUrl);
    await migrate(db.pool, { schema: db.schema });
    ports = { log, codec, topic };
    commands = { ...ports, view: new ControlView(ports) };
    runner = new ProjectionRunner({ ...ports, pool: db.pool });
    reader = new PgProjectionReader(db.pool);

    // The SSE calendar of March 2026 (weekdays open), one listed instrument per daily module and a
    // bar for each on every open day: coverage is complete, so only the runs decide the gates.
    await db.pool.query(
      `INSERT INTO trade_calendar (exchange, cal_date, is_open)
       SELECT 'SSE', d::date, extract(isodow FROM d) < 6
         FROM generate_series(DATE '2026-03-01', DATE '2026-03-15', interval '1 day') d`,
    );
    await db.pool.query(
      `INSERT INTO instrument (asset_class, ts_code, list_date, content_hash) VALUES
         ('stock', '000001.SZ', DATE '1991-04-03', '\\x00'), ('etf', '510300.SH', DATE '2012-05-28', '\\x00'),
         ('futures', 'CU2606.SHF', DATE '2025-06-16', '\\x00'), ('spot', 'Au99.99', DATE '2002-10-30', '\\x00'),
         ('index', '000300.SH', DATE '2005-04-08', '\\x00')`,
    );
    await db.pool.query(
      `INSERT INTO market_bar (asset_class, ts_code, trade_date, close, content_hash, source_topic,
                               source_partition, source_offset)
       SELECT i.asset_class, i.ts_code, c.cal_date, 10, '\\x01', 'tushare.raw.test', 0, 0
         FROM instrument i CROSS JOIN trade_calendar c WHERE c.is_open`,
    );
    await db.pool.query(
      `INSERT INTO adj_factor (ts_code, trade_date, adj_factor, content_hash)
       SELECT ts_code, trade_date, 1, '\\x01' FROM market_bar WHERE asset_class = 'stock'`,
    );
  });
  afterAll(async () => {
    await log?.close();
    await db?.drop();
  });

  it('A → B: the foundation gate wants the flags and rollback baselines on record before phase A may be left', async () => {
    const bare = evaluateFoundation({
      migrationsPending: [],
      topicsMissing: [],
      flagsOffset: null,
      rollbackOffset: null,
    });
    const refused = await refusal(advancePhaseThroughGates(commands, { actor: 'ops', now: T, exit: bare }));
    expect(refused.reasons).toEqual([
      'exit_gate_failed:foundation',
      'flags_baseline_missing',
      'rollback_baseline_missing',
    ]);

    await setFlags(commands, {
      changes: { p2Enabled: false },
      actor: 'ops',
      reason: 'baseline: P2 waits for P0 and P1',
      now: T,
    });
    const baselines = await appendBaselines(commands, { actor: 'ops', now: T });
    expect(baselines.flagsBaseline).toBeNull();
    await runner.catchUp();
    const { lastChange } = await reader.readFlags();
    expect(lastChange?.reason).toMatch(/^rollback baseline/);
    const foundation = evaluateFoundation({
      migrationsPending: [],
      topicsMissing: [],
      flagsOffset: lastChange?.offset ?? null,
      rollbackOffset: baselines.rollbackBaseline,
    });
    const advanced = await advancePhaseThroughGates(commands, { actor: 'ops', now: T + 1, exit: foundation });
    expect(advanced.phase).toBe('B');
    await runner.catchUp();
    expect(await readPhase(db.pool)).toMatchObject({ phase: 'B', frozen: false });
  });

  it('runs before the baseline do not count; three replays on one real day give as-of 3/3 and natural 1/3', async () => {
    // Before the repair: a failed main run on the real day, proving the 11th.
    await mainRun('r0', '20260311', T + 2 * MIN, 'failed');
    const first = await mainRun('r1', '20260309', T + 10 * MIN, 'ok');
    baseline = { offset: first };
    await runner.catchUp();

    // One replay is not three: the advance is refused with the gate's own conditions, nothing appended.
    const early = await evaluate('p0', T + 15 * MIN, baseline);
    expect(early).toMatchObject({
      passed: false,
      cleanAsOfTradeDateProgress: '1/3',
      cleanDayProgress: '1/3',
    });
    const end = await controlEnd(ports);
    const refused = await refusal(
      advancePhaseThroughGates(commands, { actor: 'ops', now: T + 15 * MIN, exit: early }),
    );
    expect(refused.reasons).toEqual(['exit_gate_failed:p0', ...early.failures]);
    expect(refused.reasons).toContain('clean_days_below_required');
    expect(await controlEnd(ports)).toBe(end);

    await mainRun('r2', '20260310', T + 20 * MIN, 'ok');
    await mainRun('r3', '20260311', T + 25 * MIN, 'ok');
    await runner.catchUp();
    const now = T + 30 * MIN;
    expect(await evaluate('p0', now, baseline)).toMatchObject({
      passed: true,
      provenBy: 'as_of',
      cleanAsOfTradeDateProgress: '3/3',
      cleanDayProgress: '1/3',
      asOfTradeDate: '20260311',
      failures: [],
    });

    // Without the boundary r0 counts: the snapshot (which takes no baseline) is that evaluation.
    const unbounded = await evaluate('p0', now);
    expect(unbounded.passed).toBe(false);
    expect(unbounded.failures).toEqual(
      expect.arrayContaining(['blocking_run_failed:20260313', 'blocking_run_failed:20260311']),
    );
    const served = (await snapshot(now)).gates.find((g) => g.gate === 'p0');
    expect(served).toEqual(unbounded);
  });

  it('a run silent past its heartbeat timeout is residue until the reaper closes it as abandoned', async () => {
    const started = T + 40 * MIN;
    await append(
      'RunStarted',
      {
        runId: 'rs',
        chain: 'main',
        batch: 'p1',
        fromDate: '20260312',
        toDate: '20260312',
        heartbeatTimeoutMs: MIN,
      },
      started,
    );
    await append('RunHeartbeat', { runId: 'rs', rowsSoFar: 120 }, started + MIN);
    await runner.catchUp();

    // Half a timeout after its heartbeat it is work in progress: nothing to reap.
    expect((await snapshot(started + 1.5 * MIN)).runningResidue).toBe(0);
    expect((await reapStaleRuns(commands, { now: started + 1.5 * MIN })).reaped).toEqual([]);

    const late = started + 5 * MIN;
    const before = await snapshot(late);
    expect(before.runningResidue).toBe(1);
    expect(before.gates.find((g) => g.gate === 'p1')?.failures).toContain('running_residue:1');
    const reaped = await reapStaleRuns(commands, { now: late });
    expect(reaped.reaped).toEqual([
      { runId: 'rs', chain: 'main', lastHeartbeat: started + MIN, silentMs: 4 * MIN, timeoutMs: MIN },
    ]);
    expect((await reapStaleRuns(commands, { now: late + MIN })).reaped).toEqual([]);
    // The process comes back and reports ok: the reaper's verdict stands.
    await append('RunFinished', { runId: 'rs', status: 'ok', stats: STATS, error: null }, late + 2 * MIN);
    await runner.catchUp();

    expect(await readRun(db.pool, 'rs')).toMatchObject({
      status: 'abandoned',
      error: `no heartbeat for ${4 * MIN} ms (timeout ${MIN} ms)`,
      stats: { rowsFetched: 120, errorsByClass: { heartbeat_timeout: 1 } },
    });
    const after = await snapshot(late);
    expect(after.runningResidue).toBe(0);
    expect(after.runs.byStatus.abandoned).toBe(1);
    expect(after.gates.find((g) => g.gate === 'p1')?.failures).toContain('blocking_run_abandoned:20260313');
    // A p1 run: the p0 gate does not see it.
    expect((await evaluate('p0', late, baseline)).passed).toBe(true);
  });

  it('a failing recovery wave switches its own module off; the main run stays ok and the p0 gate holds', async () => {
    const now = T + 60 * MIN;
    const waveState = async () => ({
      flags: (await reader.readFlags()).stored,
      verdicts: { 'wave:index_daily': await evaluate('wave:index_daily', now, baseline) },
      lastOutcome: lastModuleOutcomes(gateRuns(await readRuns(db.pool, { limit: 10_000 }))),
    });

    const start = nextWaveAction(await waveState());
    expect(start).toMatchObject({ action: 'start', wave: 'index_daily', retry: false });
    if (start.action !== 'start') throw new Error('expected the first wave to start');
    await setFlags(commands, { changes: start.patch, actor: 'ops', reason: 'wave 1: index_daily', now });

    const [started] = await append(
      'RunStarted',
      {
        runId: 'r4',
        chain: 'main',
        batch: 'p0',
        fromDate: '20260312',
        toDate: '20260312',
        heartbeatTimeoutMs: MIN,
      },
      now + MIN,
    );
    await append(
      'ModuleResult',
      {
        runId: 'r4',
        module: 'index_daily',
        status: 'failed',
        blocking: false,
        stats: STATS,
        error: 'no permission for index_daily',
      },
      now + 2 * MIN,
    );
    await append('RunFinished', { runId: 'r4', status: 'ok', stats: STATS, error: null }, now + 3 * MIN);
    await runner.catchUp();

    const off = nextWaveAction(await waveState());
    expect(off).toEqual({
      action: 'switch_off',
      wave: 'index_daily',
      flag: 'universeIndexDailyEnabled',
      patch: { universeIndexDailyEnabled: false },
      reason: 'wave_failed:index_daily',
    });
    if (off.action !== 'switch_off') throw new Error('expected a switch-off');
    await setFlags(commands, {
      changes: off.patch,
      actor: 'wave-policy',
      reason: off.reason,
      now: now + 4 * MIN,
    });
    await runner.catchUp();

    expect(await readRun(db.pool, 'r4')).toMatchObject({
      status: 'ok',
      startedOffset: started,
      moduleResults: [expect.objectContaining({ module: 'index_daily', status: 'failed', blocking: false })],
    });
    expect((await reader.readFlags()).stored).toMatchObject({
      universeIndexDailyEnabled: false,
      p0Enabled: true,
    });
    const p0 = await evaluate('p0', now + 5 * MIN, baseline);
    expect(p0).toMatchObject({
      passed: true,
      cleanAsOfTradeDateProgress: '3/3',
      cleanDayProgress: '1/3',
      asOfTradeDate: '20260312',
    });
    const wave = await evaluate('wave:index_daily', now + 5 * MIN, baseline);
    expect(wave.passed).toBe(false);
    expect(wave.failures).toContain('blocking_module_failed:20260312:index_daily');
    // The wave is retried in place once fixed, not skipped.
    expect(nextWaveAction(await waveState())).toMatchObject({
      action: 'start',
      wave: 'index_daily',
      retry: true,
    });
  });

  it('rollbackFlags restores the flags of an earlier offset as one more change', async () => {
    const before = await reader.readFlags();
    const point = before.lastChange?.offset as number;
    await setFlags(commands, {
      changes: { p0Enabled: false, p1Enabled: false },
      actor: 'ops',
      reason: 'maintenance (by mistake)',
      now: T + 70 * MIN,
    });
    const back = await rollbackFlags(commands, {
      to: { offset: point },
      actor: 'ops',
      reason: 'undo the maintenance switch-off',
      now: T + 71 * MIN,
    });
    expect(back).toMatchObject({ restoredFromOffset: point, changed: true });
    await runner.catchUp();

    const after = await reader.readFlags();
    expect(switches(after.stored)).toEqual(switches(before.stored));
    expect(switches(after.effective)).toEqual(switches(before.effective));
    expect(after.updatedAt).toBe(T + 71 * MIN);
    expect(switches((await stateAsOf(ports, { offset: point })).state.flags.current)).toEqual(
      switches(before.stored),
    );
    const { entries } = await reader.readFlagsHistory(10);
    expect(entries[0]).toMatchObject({
      offset: back.offsets[0],
      restoredFromOffset: point,
      reason: 'undo the maintenance switch-off',
    });
    expect(entries[1]).toMatchObject({ reason: 'maintenance (by mistake)', restoredFromOffset: null });
  });

  it('B → C once the gate holds; a regression freezes back to B, which advances again once its gate holds again', async () => {
    const holds = await evaluate('p0', T + 80 * MIN, baseline);
    expect(holds.passed).toBe(true);
    const advanced = await advancePhaseThroughGates(commands, {
      actor: 'ops',
      now: T + 80 * MIN,
      exit: holds,
    });
    expect(advanced.phase).toBe('C');

    // A failed main p0 run on the real day: the gate C came through regresses.
    await mainRun('r5', '20260313', T + 90 * MIN, 'failed');
    await runner.catchUp();
    const regressed = await evaluate('p0', T + 95 * MIN, baseline);
    expect(regressed.passed).toBe(false);
    expect(regressed.failures).toContain('blocking_run_failed:20260313');
    await freezePhase(commands, { actor: 'ops', gateVerdict: regressed, now: T + 95 * MIN });
    await runner.catchUp();
    expect(await readPhase(db.pool)).toMatchObject({ phase: 'B', frozen: true });
    expect((await reader.readFlags()).stored.p1Enabled).toBe(false);

    const stillFrozen = await refusal(
      advancePhaseThroughGates(commands, { actor: 'ops', now: T + 96 * MIN, exit: regressed }),
    );
    expect(stillFrozen.reasons).toEqual(['phase_frozen:B', 'exit_gate_failed:p0', ...regressed.failures]);

    // Repaired: a new baseline run and replays of the two days before it.
    const repaired = { offset: await mainRun('r6', '20260313', T + 100 * MIN, 'ok') };
    await mainRun('r7', '20260311', T + 105 * MIN, 'ok');
    await mainRun('r8', '20260312', T + 110 * MIN, 'ok');
    await runner.catchUp();
    const again = await evaluate('p0', T + 115 * MIN, repaired);
    expect(again).toMatchObject({ passed: true, cleanAsOfTradeDateProgress: '3/3', cleanDayProgress: '1/3' });
    const unfrozen = await advancePhaseThroughGates(commands, {
      actor: 'ops',
      now: T + 115 * MIN,
      exit: again,
    });
    expect(unfrozen.events.map((e) => e.type)).toEqual(['PhaseUnfrozen', 'PhaseAdvanced', 'FlagsChanged']);
    await runner.catchUp();
    expect(await readPhase(db.pool)).toMatchObject({ phase: 'C', frozen: false, frozenReason: null });
    expect((await reader.readFlags()).stored.p1Enabled).toBe(true);

    // Every table is what the log folds to from offset 0.
    expect(await verifyProjections({ ...ports, pool: db.pool })).toMatchObject({ equal: true, tables: [] });
  });
});

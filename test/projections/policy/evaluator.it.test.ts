import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processedTopics } from '../../../app/pipeline.js';
import { topicSchemas } from '../../../contracts/avro/schemas.js';
import { rawTopic } from '../../../contracts/catalog/index.js';
import { DEFAULT_PROCESSOR_NAME, loadConfig } from '../../../contracts/config.js';
import {
  CONTROL_TOPIC,
  type ControlEventType,
  type ControlPayload,
} from '../../../contracts/events/control.js';
import { topicDefinitions } from '../../../contracts/topics.js';
import { SingleObjectCodec } from '../../../infra/codec/single-object-codec.js';
import { PgEventLog } from '../../../infra/log/pg-event-log.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { ALERTS } from '../../../projections/alerts/evaluate.js';
import { takeGateSnapshot } from '../../../projections/api/adapters.js';
import { PgProjectionReader } from '../../../projections/api/pg-reader.js';
import type { GateSnapshot } from '../../../projections/api/schemas.js';
import { appendBaselines } from '../../../projections/commands/baselines.js';
import { setFlags } from '../../../projections/commands/flags.js';
import type { CommandPorts } from '../../../projections/commands/handle.js';
import { advancePhaseThroughGates } from '../../../projections/commands/phase-gates.js';
import { evaluateFoundation } from '../../../projections/gates/phases.js';
import {
  appendControl,
  type ControlLogPorts,
  controlEnd,
  newControlEvent,
} from '../../../projections/log/control-log.js';
import { ControlView } from '../../../projections/log/control-view.js';
import {
  type EvaluateOptions,
  type EvaluationResult,
  evaluateOnce,
  followEvaluator,
} from '../../../projections/policy/evaluator.js';
import { reapStaleRuns } from '../../../projections/reaper/reaper.js';
import { rollbackBaselineOffset } from '../../../projections/reducers/flags.js';
import { ProjectionRunner } from '../../../projections/runner/runner.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';
import { readAlerts, readPhase } from '../store/read-tables.js';

/**
 * The evaluator on the embedded control plane (PostgreSQL 15, the log in the same database): each
 * round reads the same snapshot GET /gates/snapshot serves, and what it appends lands in the
 * projection tables through the runner. Every verdict and number expected is the product's own.
 */

/** Friday 13 March 2026, 18:00 in Beijing: after the day's run. */
const T = Date.parse('2026-03-13T10:00:00.000Z');
const MIN = 60_000;
const config = loadConfig({});
const gates = config.gates;
const alerts = { ...config.alerts, maxConsumerLag: 2 };
const STATS = {
  requests: 1,
  pages: 1,
  retries: 0,
  rowsFetched: 10,
  rowsEmitted: 10,
  errorsByClass: {},
  durationMs: 1_000,
};

describe('the gate and alert evaluator on PostgreSQL 15 with the embedded log', () => {
  let db: IsolatedDatabase;
  let log: PgEventLog;
  let ports: ControlLogPorts;
  let commands: CommandPorts;
  let runner: ProjectionRunner;
  let reader: PgProjectionReader;

  const options: EvaluateOptions = {
    gates,
    alerts,
    consumer: { name: DEFAULT_PROCESSOR_NAME, topics: processedTopics() },
    now: T,
  };
  const round = async (now = T): Promise<EvaluationResult> => {
    const result = await evaluateOnce({ ...commands, pool: db.pool }, { ...options, now });
    await runner.catchUp();
    return result;
  };
  const snapshot = (now = T) => takeGateSnapshot(db.pool, gates, null, () => new Date(now));
  const verdictsOf = (s: GateSnapshot) =>
    s.gates.map(({ gate, passed, asOfTradeDate, cleanDays, requiredDays, failures }) => ({
      gate,
      passed,
      asOfTradeDate,
      cleanDays,
      requiredDays,
      failures,
    }));
  const append = <K extends ControlEventType>(type: K, payload: ControlPayload<K>, at: number) =>
    appendControl(ports, newControlEvent(type, payload, { actor: 'producer', now: at }));
  async function run(runId: string, chain: string, date: string, status: 'ok' | 'failed' | 'running') {
    const startedAt = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}T02:00:00Z`);
    await append(
      'RunStarted',
      {
        runId,
        chain,
        batch: chain === 'main' ? 'p0' : null,
        fromDate: date,
        toDate: date,
        heartbeatTimeoutMs: MIN,
      },
      startedAt,
    );
    if (status !== 'running')
      await append('RunFinished', { runId, status, stats: STATS, error: null }, startedAt + MIN);
  }

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    await migrate(db.pool, { schema: db.schema });
    log = new PgEventLog(db.pool, { pollMs: 20 });
    await log.ensureTopics(topicDefinitions());
    ports = { log, codec: new SingleObjectCodec(topicSchemas()), topic: CONTROL_TOPIC };
    commands = { ...ports, view: new ControlView(ports) };
    runner = new ProjectionRunner({ ...ports, pool: db.pool });
    reader = new PgProjectionReader(db.pool, { log, now: () => new Date(T) });

    // March 2026 on the SSE calendar (weekdays open), one listed instrument per P0 market and a bar
    // for each on every open day: coverage is complete until a test removes some.
    await db.pool.query(
      `INSERT INTO trade_calendar (exchange, cal_date, is_open)
       SELECT 'SSE', d::date, extract(isodow FROM d) < 6
         FROM generate_series(DATE '2026-03-01', DATE '2026-03-15', interval '1 day') d`,
    );
    await db.pool.query(
      `INSERT INTO instrument (asset_class, ts_code, list_date, content_hash) VALUES
         ('stock', '000001.SZ', DATE '1991-04-03', '\\x00'), ('etf', '510300.SH', DATE '2012-05-28', '\\x00'),
         ('futures', 'CU2606.SHF', DATE '2025-06-16', '\\x00'), ('spot', 'Au99.99', DATE '2002-10-30', '\\x00')`,
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

    // Phase B, with the P0 runs of the last three sessions finished ok.
    await setFlags(commands, {
      changes: { p2Enabled: false },
      actor: 'ops',
      reason: 'baseline',
      now: T - 5 * MIN,
    });
    await appendBaselines(commands, { actor: 'ops', now: T - 5 * MIN });
    const state = await commands.view?.refresh();
    const exit = evaluateFoundation({
      migrationsPending: [],
      topicsMissing: [],
      flagsOffset: state?.flags.offset ?? null,
      rollbackOffset: state ? rollbackBaselineOffset(state.flags) : null,
    });
    await advancePhaseThroughGates(commands, { actor: 'ops', now: T - 4 * MIN, exit });
    for (const [i, date] of ['20260311', '20260312', '20260313'].entries())
      await run(`ok-${i}`, 'main', date, 'ok');
    await runner.catchUp();
  });
  afterAll(async () => {
    await log?.close();
    await db?.drop();
  });

  it('records every gate as GET /gates/snapshot has it, then appends nothing while nothing changes', async () => {
    const expected = verdictsOf(await snapshot());
    const first = await round();
    expect(first.recorded).toEqual(expected);
    expect(first.raised).toEqual([]);
    expect(first.freeze).toBeNull();
    expect(first.offsets).toHaveLength(expected.length);

    // GET /gates: the latest recorded verdict of every gate.
    const served = (await reader.readGates()).gates;
    expect(
      served.map(({ gate, passed, cleanDays, failures }) => ({ gate, passed, cleanDays, failures })),
    ).toEqual(
      expect.arrayContaining(
        expected.map(({ gate, passed, cleanDays, failures }) => ({ gate, passed, cleanDays, failures })),
      ),
    );
    expect(served).toHaveLength(expected.length);

    const end = await controlEnd(ports);
    const second = await round();
    expect(second.events).toEqual([]);
    expect(await controlEnd(ports)).toBe(end);
  });

  it('raises lag and residue alerts once, and closes them when the processor catches up and the reaper runs', async () => {
    const p0 = (await snapshot()).gates.find((g) => g.gate === 'p0');
    expect(p0?.passed).toBe(true);
    if (!p0) throw new Error('no p0 verdict');
    await advancePhaseThroughGates(commands, { actor: 'ops', now: T - MIN, exit: p0 });
    // Three raw records the processor has not stored, and a recovery run silent past its timeout.
    const topic = rawTopic('daily');
    await log.append(
      topic,
      ['a', 'b', 'c'].map((key) => ({ key, value: Buffer.from(key) })),
    );
    await run('stale', 'index_daily', '20260313', 'running');
    await runner.catchUp();
    const residue = (await snapshot()).runningResidue;
    expect(residue).toBeGreaterThan(alerts.maxRunningResidue);

    const raised = await round();
    expect(raised.raised.map((a) => [a.alert, a.value])).toEqual([
      [ALERTS.residue, residue],
      [ALERTS.consumerLag(DEFAULT_PROCESSOR_NAME), 3],
    ]);
    expect(raised.freeze).toBeNull();
    expect((await readAlerts(db.pool)).map((a) => a.alert)).toEqual(
      expect.arrayContaining([ALERTS.residue, ALERTS.consumerLag(DEFAULT_PROCESSOR_NAME)]),
    );
    const again = await round();
    expect([...again.raised, ...again.resolved]).toEqual([]);

    // The processor stores them (its offsets move in the store), the reaper closes the run.
    for (const [partition, end] of await log.endOffsets(topic))
      await db.pool.query(
        'INSERT INTO consumer_offset (consumer, topic, partition, next_offset) VALUES ($1, $2, $3, $4)',
        [DEFAULT_PROCESSOR_NAME, topic, partition, end],
      );
    await reapStaleRuns(commands, { now: T });
    await runner.catchUp();
    const cleared = await round();
    expect(cleared.raised).toEqual([]);
    expect(cleared.resolved.sort()).toEqual(
      [ALERTS.consumerLag(DEFAULT_PROCESSOR_NAME), ALERTS.residue].sort(),
    );
    const closes = (await readAlerts(db.pool, { kind: 'resolved' })).map((a) => a.alert);
    expect(closes.sort()).toEqual([...cleared.resolved].sort());
    expect((await phaseOf()).phase).toBe('C');
  });

  it('a failed main run regresses p0 in phase C: GateEvaluated, PhaseFrozen and the rollback of p1 in one append', async () => {
    await run('bad', 'main', '20260313', 'failed');
    await runner.catchUp();
    const current = await snapshot();
    const expected = current.gates.find((g) => g.gate === 'p0');
    expect(expected?.passed).toBe(false);
    const { byStatus } = current.runs;
    const finished = current.runs.total - byStatus.running;

    const frozen = await round();
    expect(frozen.raised.find((a) => a.alert === ALERTS.failureRate)?.value).toBeCloseTo(
      (byStatus.failed + byStatus.abandoned) / finished,
      4,
    );
    expect(frozen.freeze).toMatchObject({ phase: 'C', gates: ['p0'] });
    expect(frozen.recorded.find((g) => g.gate === 'p0')).toMatchObject({
      passed: false,
      failures: expected?.failures,
    });
    const types = frozen.events.map((e) => e.type);
    expect(types.slice(-2)).toEqual(['PhaseFrozen', 'FlagsChanged']);
    expect(frozen.offsets).toEqual(frozen.events.map((_, i) => (frozen.offsets[0] as number) + i));

    expect(await phaseOf()).toMatchObject({ phase: 'B', frozen: true });
    const flags = await reader.readFlags();
    expect(flags.stored.p1Enabled).toBe(false);
    expect(flags.lastChange?.offset).toBe(frozen.offsets.at(-1));
    const p0 = (await reader.readGates()).gates.find((g) => g.gate === 'p0');
    expect(p0).toMatchObject({ passed: false, failures: expected?.failures });

    // Back in B nothing more regresses, and the verdicts stand: nothing is appended.
    const after = await round();
    expect(after.events).toEqual([]);
  });

  it('the loop evaluates every interval and stops; a changed threshold is recorded once', async () => {
    const before = await controlEnd(ports);
    const stricter = { ...gates, requiredDays: gates.requiredDays + 1 };
    const appended: EvaluationResult[] = [];
    const errors: unknown[] = [];
    let rounds = 0;
    const loop = followEvaluator(
      { ...commands, pool: db.pool },
      {
        ...options,
        gates: stricter,
        everyMs: 10,
        now: () => {
          rounds += 1;
          return T;
        },
        onAppended: (result) => appended.push(result),
        onError: (err) => errors.push(err),
      },
    );
    while (rounds < 4) await new Promise((r) => setTimeout(r, 10));
    await loop.stop();

    const expected = (await takeGateSnapshot(db.pool, stricter, null, () => new Date(T))).gates;
    expect(errors).toEqual([]);
    expect(appended).toHaveLength(1);
    expect(appended[0]?.recorded.map((g) => [g.gate, g.requiredDays])).toEqual(
      expected.map((g) => [g.gate, stricter.requiredDays]),
    );
    expect(await controlEnd(ports)).toBe(before + (appended[0]?.offsets.length ?? 0));
  });

  const phaseOf = () => readPhase(db.pool);
});

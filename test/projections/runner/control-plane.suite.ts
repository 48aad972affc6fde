import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandRefusedError } from '../../../contracts/errors.js';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import type { SchemaCodec } from '../../../infra/codec/schema-codec.js';
import type { EventLog } from '../../../infra/log/event-log.js';
import { advanceCursor, CURSOR_REGRESSION_ALERT } from '../../../projections/commands/cursors.js';
import { recordProbe, rollbackFlags, setFlags } from '../../../projections/commands/flags.js';
import type { CommandPorts } from '../../../projections/commands/handle.js';
import { advancePhase, freezePhase } from '../../../projections/commands/phases.js';
import {
  appendControl,
  type ControlLogPorts,
  controlEnd,
  newControlEvent,
} from '../../../projections/log/control-log.js';
import { ControlView } from '../../../projections/log/control-view.js';
import { followReaper, reapStaleRuns } from '../../../projections/reaper/reaper.js';
import { type ControlState, PROJECTION_NAMES } from '../../../projections/reducers/control.js';
import { stateAsOf } from '../../../projections/replay/as-of.js';
import {
  compareProjections,
  dropSchema,
  rebuildProjections,
  verifyProjections,
} from '../../../projections/replay/rebuild.js';
import { ProjectionRunner } from '../../../projections/runner/runner.js';
import { loadState } from '../../../projections/store/tables.js';
import { randomLog } from '../generator.js';
import {
  readAlerts,
  readCheckpoints,
  readCursors,
  readFlags,
  readFlagsHistory,
  readPhase,
  readProbes,
  readRun,
  readRuns,
} from '../store/read-tables.js';

export interface ControlPlaneBackend {
  log: EventLog;
  codec: SchemaCodec;
  /** The control topic, created with one partition. */
  topic: string;
  /** A migrated schema for the live tables; its search path is that schema. */
  pool: Pool;
  schema: string;
  cleanup(): Promise<void>;
}

/** Fresh log topic + fresh tables for each test, so tests never see each other's events. */
export type OpenBackend = () => Promise<ControlPlaneBackend>;

const T = 1_767_225_600_000;

/** What the tables must hold for a state: everything but the ignored regressions (alerted, not stored). */
const stored = (state: ControlState): ControlState => ({
  ...state,
  cursors: { ...state.cursors, regressions: [] },
});

async function tablesState(pool: Pool, schema?: string): Promise<ControlState> {
  const out: Record<string, unknown> = {};
  for (const name of PROJECTION_NAMES) out[name] = await loadState(pool, name, schema);
  return out as unknown as ControlState;
}

export function controlPlaneSuite(name: string, open: OpenBackend, scale: { randomEvents: number }) {
  describe(`control plane on ${name}`, () => {
    let b: ControlPlaneBackend;
    let ports: ControlLogPorts;
    let commands: CommandPorts;
    beforeAll(async () => {
      b = await open();
      ports = { log: b.log, codec: b.codec, topic: b.topic };
      commands = { ...ports, view: new ControlView(ports) };
    });
    afterAll(async () => {
      await b?.cleanup();
    });

    const runner = (options: { batchSize?: number } = {}) =>
      new ProjectionRunner({ ...ports, pool: b.pool, ...options });

    it('folds commands into the tables; a second catchUp is a no-op; the tables hold exactly the fold', async () => {
      await appendControl(ports, [
        newControlEvent(
          'RunStarted',
          {
            runId: 'r1',
            chain: 'main',
            batch: 'p0',
            fromDate: '20260105',
            toDate: '20260106',
            heartbeatTimeoutMs: 60_000,
          },
          { actor: 'producer', now: T },
        ),
        newControlEvent('RunHeartbeat', { runId: 'r1', rowsSoFar: 500 }, { actor: 'producer', now: T + 5 }),
      ]);
      await advanceCursor(commands, {
        cursor: 'universe_index_daily_cursor_v1',
        value: '20260105',
        actor: 'p',
        now: T,
      });
      await recordProbe(commands, {
        apiName: 'stk_premarket',
        passed: false,
        message: 'no permission',
        actor: 'probe',
        now: T + 1,
      });
      await setFlags(commands, {
        changes: { universeIndexDailyEnabled: true },
        actor: 'alice',
        reason: 'wave 1',
        now: T + 2,
      });

      const first = await runner({ batchSize: 2 }).catchUp();
      const end = await controlEnd(ports);
      expect(first).toMatchObject({ from: 0, to: end, events: end });
      expect(Object.values(await readCheckpoints(b.pool))).toEqual(PROJECTION_NAMES.map(() => end));

      expect(await readRun(b.pool, 'r1')).toMatchObject({
        status: 'running',
        rowsSoFar: 500,
        lastHeartbeat: T + 5,
        fromDate: '20260105',
        toDate: '20260106',
      });
      expect(await readCursors(b.pool)).toEqual([
        expect.objectContaining({ cursor: 'universe_index_daily_cursor_v1', value: '20260105' }),
      ]);
      expect(await readProbes(b.pool)).toEqual([
        expect.objectContaining({ apiName: 'stk_premarket', passed: false, message: 'no permission' }),
      ]);
      expect((await readFlags(b.pool)).stored).toEqual({
        ...DEFAULT_FLAGS,
        universeIndexDailyEnabled: true,
        updatedAt: T + 2,
      });

      const again = await runner().catchUp();
      expect(again).toMatchObject({ from: end, to: end, events: 0, rows: 0 });
      expect(await tablesState(b.pool)).toEqual(stored((await stateAsOf(ports, { offset: end - 1 })).state));
    });

    it('flags: premarket is refused without a passed probe and allowed after one; p2 sub-switches are inert while p2 is off', async () => {
      const refused = await setFlags(commands, {
        changes: { p2SpecialPermissionStkPremarketV1: true },
        actor: 'alice',
        reason: 'try',
        now: T + 10,
      }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(CommandRefusedError);
      await recordProbe(commands, { apiName: 'stk_premarket', passed: true, actor: 'probe', now: T + 11 });
      const on = await setFlags(commands, {
        changes: { p2SpecialPermissionStkPremarketV1: true, p2Enabled: false },
        actor: 'alice',
        reason: 'probe passed',
        now: T + 12,
      });
      expect(on.offsets).toHaveLength(1);
      await runner().catchUp();
      const flags = await readFlags(b.pool);
      expect(flags.offset).toBe(on.offsets[0]);
      expect(flags.stored).toMatchObject({
        p2SpecialPermissionStkPremarketV1: true,
        p2Enabled: false,
        updatedAt: T + 12,
      });
      expect(flags.effective).toMatchObject({
        p2SpecialPermissionStkPremarketV1: false,
        p2RealtimeIndexV1: false,
      });
    });

    it('rollback restores the flags of an earlier offset (and of an earlier time) end to end, deleting nothing', async () => {
      const a = await setFlags(commands, {
        changes: { p1Enabled: false },
        actor: 'alice',
        reason: 'a',
        now: T + 20,
      });
      const wanted = (await stateAsOf(ports, { offset: a.offsets[0] as number })).state.flags.current;
      await setFlags(commands, {
        changes: { p0Enabled: false, p1Enabled: true },
        actor: 'bob',
        reason: 'b',
        now: T + 21,
      });
      const endBefore = await controlEnd(ports);

      const back = await rollbackFlags(commands, {
        to: { offset: a.offsets[0] as number },
        actor: 'ops',
        reason: 'undo b',
        now: T + 30,
      });
      expect(back.restoredFromOffset).toBe(a.offsets[0]);
      expect(await controlEnd(ports)).toBe(endBefore + 1);
      await runner().catchUp();
      const flags = await readFlags(b.pool);
      expect(flags.stored).toEqual({ ...wanted, updatedAt: T + 30 });
      const [latest, ...older] = await readFlagsHistory(b.pool, { limit: 10 });
      expect(latest).toMatchObject({
        offset: back.offsets[0],
        actor: 'ops',
        reason: 'undo b',
        restoredFromOffset: a.offsets[0],
      });
      expect(older.map((h) => h.reason).slice(0, 2)).toEqual(['b', 'a']);

      // By time: the state as of just after `b` occurred (p0 off).
      const byTime = await rollbackFlags(commands, {
        to: { time: T + 21 },
        actor: 'ops',
        reason: 'redo b',
        now: T + 40,
      });
      await runner().catchUp();
      expect((await readFlags(b.pool)).stored).toMatchObject({
        p0Enabled: false,
        p1Enabled: true,
        updatedAt: T + 40,
      });
      expect(byTime.restoredFromOffset).toBe(endBefore - 1);
    });

    it('cursors: a move back is refused by the command; one appended around it is ignored and alerted once by the live runner', async () => {
      const cursor = 'universe_moneyflow_cursor_v1';
      await advanceCursor(commands, { cursor, value: '20260110', actor: 'p', now: T + 50 });
      const refused = await advanceCursor(commands, {
        cursor,
        value: '20260109',
        actor: 'p',
        now: T + 51,
      }).catch((e: unknown) => e);
      expect((refused as CommandRefusedError).reasons).toEqual([
        `cursor ${cursor} is at 20260110; 20260109 would move it back`,
      ]);
      const [sneaked] = await appendControl(
        ports,
        newControlEvent(
          'CursorAdvanced',
          { cursor, value: '20260101', previous: null, runId: null },
          { actor: 'rogue', now: T + 52 },
        ),
      );

      const live = runner();
      for (let round = 0; round < 2; round++) {
        const follower = live.follow({ pollMs: 50, raiseAlerts: true, now: () => T + 53 });
        await expect
          .poll(async () => (await readAlerts(b.pool, { alert: CURSOR_REGRESSION_ALERT })).length, {
            timeout: 60_000,
            interval: 200,
          })
          .toBe(1);
        await follower.stop();
      }
      await live.catchUp();
      expect(await readAlerts(b.pool, { alert: CURSOR_REGRESSION_ALERT })).toHaveLength(1);
      const [alert] = await readAlerts(b.pool, { alert: CURSOR_REGRESSION_ALERT });
      expect(alert?.value).toBe(sneaked);
      expect((await readCursors(b.pool)).find((c) => c.cursor === cursor)?.value).toBe('20260110');
    });

    it('the reaper closes runs silent past their timeout as abandoned, once', async () => {
      await appendControl(ports, [
        newControlEvent(
          'RunStarted',
          {
            runId: 'stale',
            chain: 'index_daily',
            batch: null,
            fromDate: null,
            toDate: null,
            heartbeatTimeoutMs: 1_000,
          },
          { actor: 'producer', now: T + 60 },
        ),
        newControlEvent(
          'RunStarted',
          {
            runId: 'alive',
            chain: 'main',
            batch: 'p0',
            fromDate: null,
            toDate: null,
            heartbeatTimeoutMs: 60_000,
          },
          { actor: 'producer', now: T + 60 },
        ),
      ]);
      const reaped = await reapStaleRuns(commands, { now: T + 5_000 });
      expect(reaped.reaped.map((r) => r.runId)).toEqual(['stale']);
      expect((await reapStaleRuns(commands, { now: T + 5_000 })).events).toEqual([]);
      await runner().catchUp();
      expect(await readRun(b.pool, 'stale')).toMatchObject({
        status: 'abandoned',
        error: 'no heartbeat for 4940 ms (timeout 1000 ms)',
      });
      expect((await readRuns(b.pool, { status: 'running' })).map((r) => r.runId)).toEqual(['alive', 'r1']);
    });

    it('phases: refused without the exit gate, advanced with it, frozen and rolled back on a regression', async () => {
      const refused = await advancePhase(commands, {
        actor: 'ops',
        gateVerdict: { gate: 'foundation', passed: false, failures: ['migrations_pending'] },
        now: T + 70,
      }).catch((e: unknown) => e);
      expect((refused as CommandRefusedError).reasons).toEqual(['foundation: migrations_pending']);
      await advancePhase(commands, {
        actor: 'ops',
        gateVerdict: { gate: 'foundation', passed: true, failures: [] },
        now: T + 71,
      });
      await setFlags(commands, { changes: { p0Enabled: true }, actor: 'ops', reason: 'p0 on', now: T + 72 });
      await freezePhase(commands, {
        actor: 'ops',
        gateVerdict: { gate: 'foundation', passed: false, failures: ['x'] },
        now: T + 73,
      });
      await runner().catchUp();
      expect(await readPhase(b.pool)).toMatchObject({
        phase: 'A',
        frozen: true,
        frozenReason: 'gate foundation regressed: x',
      });
      expect((await readFlags(b.pool)).stored.p0Enabled).toBe(false);
    });

    it('a batch whose transaction fails at commit leaves neither its rows nor its checkpoint, and a rerun completes it', async () => {
      const end = await controlEnd(ports);
      const alert = (i: number) =>
        newControlEvent(
          'AlertRaised',
          { alert: 'coverage', severity: 'info', message: `check ${i}`, value: i, threshold: null },
          { actor: 'alerts', now: T + 80 },
        );
      await appendControl(
        ports,
        Array.from({ length: 20 }, (_, i) => alert(i)),
      );
      const full = await controlEnd(ports);
      // A real failure at COMMIT of the third batch, after its rows and its checkpoint were written:
      // a checkpoint kept anywhere but in that same transaction would survive it.
      const t = (table: string) => `"${b.schema}".${table}`;
      await b.pool.query(`CREATE FUNCTION ${t('refuse_commit')}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (SELECT max(next_offset) FROM ${t('projection_checkpoint')}) > ${end + 10} THEN
            RAISE EXCEPTION 'commit refused';
          END IF;
          RETURN NULL;
        END $$`);
      await b.pool.query(`CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON ${t('alert')}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${t('refuse_commit')}()`);
      const failing = runner({ batchSize: 5 });
      await expect(failing.catchUp()).rejects.toThrow(/commit refused/);
      expect(new Set(Object.values(await readCheckpoints(b.pool)))).toEqual(new Set([end + 10]));
      expect(await tablesState(b.pool)).toEqual(stored((await stateAsOf(ports, { offset: end + 9 })).state));
      expect((await readAlerts(b.pool, { alert: 'coverage' })).map((a) => a.value)).toEqual([
        9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
      ]);

      await b.pool.query(`DROP TRIGGER refuse ON ${t('alert')}`);
      const rerun = await failing.catchUp();
      expect(rerun).toMatchObject({ from: end + 10, to: full, events: full - end - 10 });
      expect(await tablesState(b.pool)).toEqual(stored((await stateAsOf(ports, { offset: full - 1 })).state));
    });

    it('random logs: two rebuilds into fresh schemas (different batch sizes) give identical tables, equal to the live ones and to the fold', async () => {
      await appendControl(
        ports,
        randomLog(7, scale.randomEvents).map(({ event }) => event),
      );
      await runner().catchUp();
      const one = await rebuildProjections({ ...ports, pool: b.pool, batchSize: 7 });
      const two = await rebuildProjections({ ...ports, pool: b.pool, batchSize: 1000 });
      try {
        expect(one.report.to).toBe(await controlEnd(ports));
        expect(await compareProjections(b.pool, { live: one.schema, replay: two.schema })).toEqual({
          equal: true,
          tables: [],
        });
        expect(await compareProjections(b.pool, { replay: one.schema })).toEqual({ equal: true, tables: [] });
        const end = await controlEnd(ports);
        expect(await tablesState(b.pool, two.schema)).toEqual(
          stored((await stateAsOf(ports, { offset: end - 1 })).state),
        );
      } finally {
        await dropSchema(b.pool, one.schema);
        await dropSchema(b.pool, two.schema);
      }
    });

    it('verifyProjections finds the live tables equal to a rebuild, and names a row someone changed by hand', async () => {
      const replaySchemas = async () =>
        (await b.pool.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'replay\\_%'")).rowCount;
      const schemasBefore = await replaySchemas();
      await runner().catchUp();
      const clean = await verifyProjections({ ...ports, pool: b.pool });
      expect(clean.equal).toBe(true);
      expect(clean.checkpoints.flags).toBe(await controlEnd(ports));

      const { rows } = await b.pool.query<{ control_offset: number }>(
        `UPDATE flags_history SET reason = 'edited by hand' WHERE control_offset = (SELECT min(control_offset) FROM flags_history) RETURNING control_offset`,
      );
      const diff = await verifyProjections({ ...ports, pool: b.pool, projections: ['flags', 'runs'] });
      expect(diff.equal).toBe(false);
      expect(diff.tables).toHaveLength(1);
      expect(diff.tables[0]?.table).toBe('flags_history');
      expect(diff.tables[0]?.rows).toEqual([
        expect.objectContaining({
          key: String(rows[0]?.control_offset),
          live: expect.objectContaining({ reason: 'edited by hand' }),
          replay: expect.objectContaining({ reason: 'wave 1' }),
        }),
      ]);
      expect(await replaySchemas()).toBe(schemasBefore);
    });

    it('the reaper loop closes every run that goes silent, round after round', async () => {
      expect((await readRuns(b.pool, { status: 'running' })).length).toBeGreaterThan(0);
      const reaped: string[] = [];
      const loop = followReaper(commands, {
        everyMs: 20,
        now: () => T + 10 ** 9,
        actor: 'reaper-loop',
        onReaped: (runs) => reaped.push(...runs.map((r) => r.runId)),
      });
      await expect.poll(() => reaped.length, { timeout: 30_000 }).toBeGreaterThan(0);
      await loop.stop();
      await runner().catchUp();
      expect(await readRuns(b.pool, { status: 'running' })).toEqual([]);
      const closed = await readRuns(b.pool, { status: 'abandoned', limit: 1000 });
      expect(closed.map((r) => r.runId)).toEqual(expect.arrayContaining(reaped));
    });
  });
}

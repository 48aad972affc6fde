import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicSchemas } from '../../contracts/avro/schemas.js';
import { loadConfig } from '../../contracts/config.js';
import { addDays, chinaDate } from '../../contracts/dates.js';
import { FLAG_NAMES } from '../../contracts/flags.js';
import { SingleObjectCodec } from '../../infra/codec/single-object-codec.js';
import { PgEventLog } from '../../infra/log/pg-event-log.js';
import { takeGateSnapshot } from '../../projections/api/adapters.js';
import { storeFoundation } from '../../projections/api/foundation.js';
import { PgProjectionReader } from '../../projections/api/pg-reader.js';
import { appendControl, type ControlLogPorts, newControlEvent } from '../../projections/log/control-log.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

const run = promisify(execFile);

interface Output {
  code: number;
  stdout: string;
  stderr: string;
  json: unknown;
}

const withoutUpdatedAt = (flags: Record<string, unknown>) =>
  Object.fromEntries(FLAG_NAMES.map((name) => [name, flags[name]]));

/**
 * The control commands of the real CLI (bin/xasset.js) in the default embedded mode: the log is a
 * table in the same PostgreSQL 15 schema as the projections, so the test can read what the CLI left.
 */
describe('xasset control commands, embedded log on PostgreSQL 15', () => {
  let db: IsolatedDatabase;
  let stateDir: string;
  let env: Record<string, string>;
  let ports: ControlLogPorts;
  let reader: PgProjectionReader;
  /** The change the rollback returns to, as the CLI reported it. */
  let paused: { offset: number; stored: Record<string, unknown> };

  async function xasset(args: string[], extra: Record<string, string> = {}): Promise<Output> {
    let out: { code: number; stdout: string; stderr: string };
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/xasset.js', ...args], {
        env: { ...process.env, ...env, ...extra },
        timeout: 60_000,
      });
      out = { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      out = { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
    let json: unknown;
    try {
      json = JSON.parse(out.stdout);
    } catch {
      json = undefined;
    }
    return { ...out, json };
  }

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-control-'));
    env = {
      XASSET_LOG: 'embedded',
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: stateDir,
      XASSET_LOG_LEVEL: 'warn',
      XASSET_SANDBOX_SIZE: 'tiny',
    };
    // The codec and log the CLI's runtime builds in embedded mode, on the same schema.
    ports = { log: new PgEventLog(db.pool), codec: new SingleObjectCodec(topicSchemas()) };
    reader = new PgProjectionReader(db.pool);
  });
  afterAll(async () => {
    await ports?.log.close();
    await db?.drop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('flags set → show → history: the change, as GET /flags and /flags/history serve it', async () => {
    const set = await xasset(['flags', 'set', 'p1Enabled=false', '--reason', 'pause p1', '--actor', 'alice']);
    expect(set.code, set.stderr).toBe(0);
    const result = set.json as { offset: number; changed: boolean; stored: Record<string, unknown> };
    expect(result).toMatchObject({ changed: true, stored: { p1Enabled: false, p0Enabled: true } });
    paused = { offset: result.offset, stored: result.stored };

    const show = await xasset(['flags', 'show']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.json).toMatchObject({
      stored: result.stored,
      updatedAt: result.stored.updatedAt,
      lastChange: { offset: result.offset, actor: 'alice', reason: 'pause p1' },
    });
    expect(show.json).toEqual(await reader.readFlags());

    const history = await xasset(['flags', 'history']);
    expect(history.code, history.stderr).toBe(0);
    expect((history.json as { entries: unknown[] }).entries).toEqual([
      expect.objectContaining({
        offset: result.offset,
        flags: result.stored,
        actor: 'alice',
        reason: 'pause p1',
        restoredFromOffset: null,
      }),
    ]);

    const bad = await xasset(['flags', 'set', 'p1Enabled=maybe', '--reason', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('XASSET_VALIDATION_FAILED');
  });

  it('premarket is refused, a denied probe is a result that keeps it refused, a passed probe allows it', async () => {
    const premarket = [
      'flags',
      'set',
      'p2SpecialPermissionStkPremarketV1=true',
      '--reason',
      'open premarket',
    ];
    const refused = await xasset(premarket);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('XASSET_COMMAND_REFUSED');
    expect(refused.stderr).toContain('needs a passed permission probe of stk_premarket; none is recorded');

    const faults = join(stateDir, 'faults.json');
    await writeFile(faults, JSON.stringify({ stk_premarket: { permissionDenied: true } }));
    const denied = await xasset(['probe', 'stk_premarket', '--sandbox'], { XASSET_SANDBOX_FAULTS: faults });
    expect(denied.code, denied.stderr).toBe(0);
    expect(denied.json).toMatchObject({ apiName: 'stk_premarket', passed: false, tushareCode: 40203 });
    const still = await xasset(premarket);
    expect(still.code).toBe(1);
    expect(still.stderr).toContain(
      `the latest (offset ${(denied.json as { offset: number }).offset}) failed`,
    );

    const passed = await xasset(['probe', 'stk_premarket', '--sandbox']);
    expect(passed.code, passed.stderr).toBe(0);
    expect(passed.json).toMatchObject({ apiName: 'stk_premarket', passed: true, tushareCode: null });
    const allowed = await xasset(premarket);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.json).toMatchObject({
      changed: true,
      stored: { p2SpecialPermissionStkPremarketV1: true },
    });
    expect((await reader.readFlags()).stored.p2SpecialPermissionStkPremarketV1).toBe(true);
  });

  it('flags rollback --to <offset> restores the flags of that offset as a new change', async () => {
    const back = await xasset([
      'flags',
      'rollback',
      '--to',
      String(paused.offset),
      '--reason',
      'undo premarket',
    ]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.json).toMatchObject({ changed: true, restoredFromOffset: paused.offset });
    const flags = await reader.readFlags();
    expect(withoutUpdatedAt(flags.stored)).toEqual(withoutUpdatedAt(paused.stored));
    expect(flags.stored.updatedAt).toBeGreaterThan(paused.stored.updatedAt as number);
    const [latest] = (await reader.readFlagsHistory(1)).entries;
    expect(latest).toMatchObject({ reason: 'undo premarket', restoredFromOffset: paused.offset });
  });

  it('gate snapshot prints exactly what GET /gates/snapshot answers for the same state', async () => {
    // Ten days of calendar up to today (weekdays open) and one p0 run that proved the latest one.
    const today = chinaDate();
    const days = Array.from({ length: 10 }, (_, i) => addDays(today, i - 9));
    const weekday = (d: string) =>
      ![0, 6].includes(new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8))).getUTCDay());
    for (const day of days)
      await db.pool.query(
        `INSERT INTO trade_calendar (exchange, cal_date, is_open) VALUES ('SSE', to_date($1, 'YYYYMMDD'), $2)`,
        [day, weekday(day)],
      );
    const proved = days.filter(weekday).at(-1) as string;
    const at = Date.now() - 3_600_000;
    await appendControl(ports, [
      newControlEvent(
        'RunStarted',
        {
          runId: 'cli-r1',
          chain: 'main',
          batch: 'p0',
          fromDate: proved,
          toDate: proved,
          heartbeatTimeoutMs: 60_000,
        },
        { actor: 'test', now: at },
      ),
      newControlEvent(
        'RunFinished',
        {
          runId: 'cli-r1',
          status: 'ok',
          stats: {
            requests: 1,
            pages: 1,
            retries: 0,
            rowsFetched: 1,
            rowsEmitted: 1,
            errorsByClass: {},
            durationMs: 1,
          },
          error: null,
        },
        { actor: 'test', now: at + 1_000 },
      ),
    ]);

    const thresholds = loadConfig(env).gates;
    for (const args of [[], ['--as-of', proved]]) {
      const printed = await xasset(['gate', 'snapshot', ...args]);
      expect(printed.code, printed.stderr).toBe(0);
      const snapshot = printed.json as { generatedAt: string; runs: { total: number } };
      expect(snapshot.runs.total).toBe(1);
      const served = await takeGateSnapshot(
        db.pool,
        thresholds,
        args[1] ?? null,
        () => new Date(snapshot.generatedAt),
        undefined,
        storeFoundation(db.pool, ports.log),
      );
      expect(snapshot).toEqual(JSON.parse(JSON.stringify(served)));
    }
  });

  it('phase advance: A → B through the foundation gate, then refused with the failing p0 conditions', async () => {
    const first = await xasset(['phase', 'advance', '--actor', 'ops']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toMatchObject({
      advanced: true,
      from: 'A',
      to: 'B',
      exit: { gate: 'foundation', passed: true },
    });

    const second = await xasset(['phase', 'advance', '--actor', 'ops']);
    expect(second.code).toBe(1);
    const refused = second.json as { advanced: boolean; exit: { failures: string[] }; reasons: string[] };
    expect(refused.advanced).toBe(false);
    expect(refused.reasons[0]).toBe('exit_gate_failed:p0');
    expect(refused.reasons).toContain('clean_days_below_required');
    expect(refused.reasons.slice(1)).toEqual(refused.exit.failures);
    expect(second.stderr).toContain('XASSET_COMMAND_REFUSED: advancePhase refused: exit_gate_failed:p0');

    const shown = await xasset(['phase', 'show']);
    expect(shown.json).toMatchObject({ current: 'B', frozen: false, exitGate: 'p0' });
  });

  it('reap closes a silent run; projections verify passes, and fails on a table that is not the fold', async () => {
    await appendControl(
      ports,
      newControlEvent(
        'RunStarted',
        {
          runId: 'cli-stale',
          chain: 'daily_basic',
          batch: null,
          fromDate: null,
          toDate: null,
          heartbeatTimeoutMs: 1_000,
        },
        { actor: 'test', now: Date.now() - 60_000 },
      ),
    );
    const reaped = await xasset(['reap']);
    expect(reaped.code, reaped.stderr).toBe(0);
    expect((reaped.json as { reaped: { runId: string }[] }).reaped.map((r) => r.runId)).toEqual([
      'cli-stale',
    ]);
    expect((await reader.readRun('cli-stale'))?.status).toBe('abandoned');

    const verified = await xasset(['projections', 'verify']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json).toMatchObject({ equal: true, tables: [] });

    await db.pool.query(`UPDATE flags_history SET reason = 'edited by hand' WHERE control_offset = $1`, [
      paused.offset,
    ]);
    const differs = await xasset(['projections', 'verify']);
    expect(differs.code).toBe(1);
    expect(differs.json).toMatchObject({ equal: false, tables: [{ projection: 'flags' }] });
  });
});

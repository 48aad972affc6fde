import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { openRuntime, type Runtime, setUp } from '../../../app/runtime.js';
import { buildServer } from '../../../app/server.js';
import { loadConfig } from '../../../contracts/config.js';
import { CONTROL_TOPIC } from '../../../contracts/events/control.js';
import { takeGateSnapshot } from '../../../projections/api/adapters.js';
import { storeFoundation } from '../../../projections/api/foundation.js';
import { controlPlaneRoutes } from '../../../projections/api/plugin.js';
import {
  CursorsView,
  ErrorBody,
  ExplainView,
  FlagsHistoryView,
  FlagsView,
  GateSnapshot,
  GatesView,
  MatrixView,
  RunsView,
  RunView,
  SetFlagsResult,
  StatusView,
} from '../../../projections/api/schemas.js';
import { readControlBatches } from '../../../projections/log/control-log.js';
import { MATRIX_MODULES } from '../../../projections/matrix/modules.js';
import { numberOf, parseExposition } from '../../harness/exposition.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';
import {
  DAILY_STATUSES,
  NOW,
  RANGE,
  RANGE_DATES,
  RUNS,
  STOCKS,
  STORED_FLAGS,
  seedProjections,
} from './seed.js';

// Made per run: nothing token-like is committed, and a leak of either would be this exact string.
const ADMIN_TOKEN = `adm-${randomBytes(16).toString('hex')}`;
const TUSHARE_TOKEN = `ts-${randomBytes(16).toString('hex')}`;

let db: IsolatedDatabase;
let stateDir: string;
let runtime: Runtime;
let app: FastifyInstance;
/** Every response the tests saw, for the leak check at the end. */
const seen: LightMyRequestResponse[] = [];

async function call(
  options: InjectOptions | string,
  server: FastifyInstance = app,
): Promise<LightMyRequestResponse> {
  const response = await server.inject(
    typeof options === 'string' ? { method: 'GET', url: options } : options,
  );
  seen.push(response);
  return response;
}

/** A 200 whose body the route's own schema accepts. */
async function ok<S extends z.ZodType>(schema: S, options: InjectOptions | string): Promise<z.output<S>> {
  const response = await call(options);
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const parsed = schema.safeParse(response.json());
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  return parsed.data as z.output<S>;
}

/** An error in the one error shape, with its stable code. */
async function fails(
  status: number,
  code: string,
  options: InjectOptions | string,
  server?: FastifyInstance,
): Promise<ErrorBody['error']> {
  const response = await call(options, server);
  expect(response.statusCode, response.body).toBe(status);
  const body = ErrorBody.parse(response.json());
  expect(body.error.code).toBe(code);
  return body.error;
}

const issuePaths = (error: ErrorBody['error']) =>
  (error.details.issues as { path: string; message: string }[]).map((i) => i.path);

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  db = await isolatedSchema(services().postgresUrl);
  stateDir = await mkdtemp(join(tmpdir(), 'xasset-api-'));
  runtime = await openRuntime(
    loadConfig({
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: stateDir,
      XASSET_ADMIN_TOKEN: ADMIN_TOKEN,
      TUSHARE_TOKEN,
    }),
  );
  await setUp(runtime);
  await seedProjections(runtime.pool);
  app = buildServer(runtime, { now: () => NOW });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
  await db?.drop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('control-plane API over the projection tables (PostgreSQL 15)', () => {
  it('GET /status: phase, batches, gates on both clocks, flags in force, residue, alerts, modes', async () => {
    const status = await ok(StatusView, '/status');
    expect(status.phase).toEqual({
      current: 'B',
      frozen: false,
      frozenReason: null,
      changedAt: '2026-01-02T00:00:00.000Z',
    });
    // Phase B: P1 is stored on but its phase (C) has not opened; P2 is switched off.
    expect(status.batches).toEqual({ p0: true, p1: false, p2: false });
    expect(status.flagDifferences.p1Enabled?.reason).toBe('phase');
    // Stored on, but p2Enabled is off: not in force.
    expect(status.flags.p2RealtimeIndexV1).toBe(false);
    expect(status.runningResidue).toEqual({ running: 1, stale: 1 });
    expect(status.alerts.map((a) => a.offset)).toEqual([15, 14]);
    expect(status.environment).toEqual({ log: 'embedded', store: 'postgres', storageMode: 'postgresql' });
    expect(status.coverage).toBe('matrix');
    expect(status.gates.map((g) => g.gate)).toEqual([
      'p0',
      'p1',
      'p2',
      'wave:index_daily',
      'wave:daily_basic',
      'wave:moneyflow',
    ]);
    for (const gate of status.gates) {
      expect(gate.cleanDayProgress).toMatch(/^\d+\/3$/);
      expect(gate.cleanAsOfTradeDateProgress).toMatch(/^\d+\/3$/);
    }
    // The index_daily run silent since 01:00 is residue of its wave, not of the batches.
    const wave = status.gates.find((g) => g.gate === 'wave:index_daily');
    expect(wave?.passed).toBe(false);
    expect(wave?.failures).toContain('running_residue:1');
    expect(status.gates.find((g) => g.gate === 'p0')?.failures).not.toContain('running_residue:1');
  });

  it('GET /flags: stored, effective (flags AND phase) with the reason for each difference', async () => {
    const flags = await ok(FlagsView, '/flags');
    expect(flags.stored).toEqual(STORED_FLAGS);
    // Phase B: only P0 is in force; P1 waits for C, the p2 sub-switches for p2Enabled.
    expect(flags.effective).toEqual({
      ...STORED_FLAGS,
      p1Enabled: false,
      p2RealtimeIndexV1: false,
      p2RealtimeEquityEtfV1: false,
      p2FuturesMicrostructureV1: false,
      p2SpecialPermissionStkPremarketV1: false,
    });
    expect(flags.phase).toEqual({ current: 'B', frozen: false });
    expect(flags.differences).toEqual({
      p1Enabled: { reason: 'phase', detail: 'p1Enabled takes effect from phase C; the store is in phase B' },
      p2RealtimeIndexV1: {
        reason: 'p2_master_off',
        detail: 'p2RealtimeIndexV1 has no effect while p2Enabled is false',
      },
      p2RealtimeEquityEtfV1: {
        reason: 'p2_master_off',
        detail: 'p2RealtimeEquityEtfV1 has no effect while p2Enabled is false',
      },
      p2FuturesMicrostructureV1: {
        reason: 'p2_master_off',
        detail: 'p2FuturesMicrostructureV1 has no effect while p2Enabled is false',
      },
    });
    expect(flags.updatedAt).toBe(STORED_FLAGS.updatedAt);
    expect(flags.source).toBe('history');
    expect(flags.lastChange).toMatchObject({ offset: 8, actor: 'ops' });
  });

  it('GET /flags/history: newest first, limited, and strict about its query', async () => {
    const all = await ok(FlagsHistoryView, '/flags/history');
    expect(all.entries.map((e) => [e.offset, e.reason])).toEqual([
      [8, 'p2 paused during the probe review'],
      [0, 'baseline'],
    ]);
    const one = await ok(FlagsHistoryView, '/flags/history?limit=1');
    expect(one.entries).toHaveLength(1);
    expect(issuePaths(await fails(400, 'XASSET_VALIDATION_FAILED', '/flags/history?limit=0'))).toEqual([
      'limit',
    ]);
    await fails(400, 'XASSET_VALIDATION_FAILED', '/flags/history?since=1');
  });

  it('GET /runs: newest first, filtered by status and chain, stale residue marked', async () => {
    const all = await ok(RunsView, '/runs');
    expect(all.runs.map((r) => r.runId)).toEqual([...RUNS].reverse().map((r) => r.runId));
    const failed = await ok(RunsView, '/runs?status=failed');
    expect(failed.runs.map((r) => r.runId)).toEqual(['run-b']);
    expect(failed.runs[0]).toMatchObject({ error: 'HTTP 500 from the Tushare API', fromDate: '20260106' });
    const module = await ok(RunsView, '/runs?chain=index_daily&status=running');
    expect(module.runs.map((r) => [r.runId, r.stale])).toEqual([['run-d', true]]);
    const limited = await ok(RunsView, '/runs?limit=2&chain=main');
    expect(limited.runs.map((r) => r.runId)).toEqual(['run-c', 'run-b']);
  });

  it('GET /runs: unknown query values answer 400 with one error per field', async () => {
    const error = await fails(400, 'XASSET_VALIDATION_FAILED', '/runs?status=done&chain=nope&limit=501');
    expect(issuePaths(error).sort()).toEqual(['chain', 'limit', 'status']);
    expect(error.details.what).toBe('query');
    await fails(400, 'XASSET_VALIDATION_FAILED', '/runs?limit=ten');
    await fails(400, 'XASSET_VALIDATION_FAILED', '/runs?order=asc');
  });

  it('GET /runs/:id: one run with its module results; 404 for an unknown id', async () => {
    const run = await ok(RunView, '/runs/run-e');
    expect(run.moduleResults).toHaveLength(1);
    expect(run.moduleResults[0]).toMatchObject({ module: 'index_daily', status: 'failed', blocking: false });
    expect(run.stats?.rowsEmitted).toBe(10);
    const error = await fails(404, 'XASSET_NOT_FOUND', '/runs/run-zz');
    expect(error.details).toMatchObject({ what: 'run', id: 'run-zz' });
  });

  it('GET /cursors', async () => {
    const cursors = await ok(CursorsView, '/cursors');
    expect(cursors.cursors).toEqual([
      {
        cursor: 'universe_index_daily_cursor_v1',
        value: '200',
        runId: 'run-c',
        advancedOffset: 7,
        advancedAt: '2026-01-07T02:06:00.000Z',
      },
    ]);
  });

  it('GET /gates: the latest recorded evaluation of each gate', async () => {
    const gates = await ok(GatesView, '/gates');
    expect(gates.gates.map((g) => [g.gate, g.offset, g.progress, g.asOfTradeDate])).toEqual([
      ['p0', 13, '0/3', '20260106'],
      ['wave:index_daily', 12, '0/3', null],
    ]);
  });

  it('GET /gates/snapshot: every gate evaluated now and as of a trade date', async () => {
    const now = await ok(GateSnapshot, '/gates/snapshot');
    expect(now.asOfTradeDate).toBeNull();
    expect(now.generatedAt).toBe(NOW.toISOString());
    expect(now.thresholds).toEqual({ requiredDays: 3, minCoverage: 0.98 });
    expect(now.runs).toMatchObject({ total: RUNS.length, blocking: 1 });
    expect(now.runs.byStatus).toEqual({ running: 1, ok: 3, partial: 0, failed: 1, abandoned: 0 });
    expect(now.runningResidue).toBe(1);
    expect(now.cursors.map((c) => c.value)).toEqual(['200']);
    // Phase A's exit as it stands: the store and topics are set up, a flags change is on record,
    // but no rollback to it yet.
    expect(now.foundation).toEqual({
      gate: 'foundation',
      passed: false,
      failures: ['rollback_baseline_missing'],
    });
    const p0 = now.gates.find((g) => g.gate === 'p0');
    // The 7th has a clean run but no stored daily bar: coverage from the matrix breaks the streak.
    expect(p0?.passed).toBe(false);
    expect(p0?.cleanDayProgress).toBe('0/3');
    expect(p0?.failures.some((f) => f.startsWith('coverage_below:20260107:daily:'))).toBe(true);

    const asOf = await ok(GateSnapshot, '/gates/snapshot?asOf=20260106');
    expect(asOf.asOfTradeDate).toBe('20260106');
    const p0AsOf = asOf.gates.find((g) => g.gate === 'p0');
    expect(p0AsOf?.days.asOf[0]?.tradeDate).toBe('20260106');
    expect(p0AsOf?.days.asOf[0]?.failures).toContain('blocking_run_failed:20260106');
    // What the CLI prints is this very JSON.
    expect(
      await takeGateSnapshot(
        runtime.pool,
        runtime.config.gates,
        '20260106',
        () => NOW,
        undefined,
        storeFoundation(runtime.pool, runtime.log),
      ),
    ).toEqual(asOf);

    expect(issuePaths(await fails(400, 'XASSET_VALIDATION_FAILED', '/gates/snapshot?asOf=20260230'))).toEqual(
      ['asOf'],
    );
    await fails(400, 'XASSET_VALIDATION_FAILED', '/gates/snapshot?asof=20260106');
  });

  it('GET /matrix: the universe grid from the stored rows', async () => {
    const matrix = await ok(MatrixView, `/matrix?target=universe&from=${RANGE.from}&to=${RANGE.to}`);
    expect(matrix.tradeDates).toEqual(RANGE_DATES);
    expect(matrix.modules).toEqual([...MATRIX_MODULES]);
    expect(matrix.cells).toHaveLength(MATRIX_MODULES.length * RANGE_DATES.length);
    const daily = RANGE_DATES.map((d) => matrix.cells.find((c) => c.module === 'daily' && c.tradeDate === d));
    expect(daily.map((c) => c?.status)).toEqual(DAILY_STATUSES);
    expect(daily.map((c) => c?.coverage)).toEqual([null, null, 1, 0.5, 0]);
    const adj = RANGE_DATES.map(
      (d) => matrix.cells.find((c) => c.module === 'adj_factor' && c.tradeDate === d)?.status,
    );
    expect(adj).toEqual(DAILY_STATUSES);
    // Nothing else is stored, listed or switched on in this schema.
    const stock = new Set(['daily', 'adj_factor']);
    expect(matrix.cells.filter((c) => !stock.has(c.module)).every((c) => c.status === 'not_applicable')).toBe(
      true,
    );
    expect(matrix.summary.byStatus).toEqual({
      complete: 2,
      partial: 2,
      missing: 2,
      not_applicable: matrix.cells.length - 6,
    });
  });

  it('GET /matrix: ts_code targets and a module subset', async () => {
    const matrix = await ok(
      MatrixView,
      `/matrix?target=${STOCKS.join(',')}&from=20260105&to=20260106&modules=daily`,
    );
    expect(matrix.target).toEqual(STOCKS);
    expect(matrix.cells.map((c) => [c.target, c.tradeDate, c.status])).toEqual([
      ['000001.SZ', '20260105', 'complete'],
      ['000001.SZ', '20260106', 'complete'],
      ['600000.SH', '20260105', 'complete'],
      ['600000.SH', '20260106', 'missing'],
    ]);
  });

  it('GET /matrix: refuses bad ranges and targets, by field', async () => {
    const base = '/matrix?target=universe';
    expect(
      issuePaths(await fails(400, 'XASSET_VALIDATION_FAILED', `${base}&from=20260107&to=20260103`)),
    ).toEqual(['from']);
    expect(
      issuePaths(await fails(400, 'XASSET_VALIDATION_FAILED', `${base}&from=20250101&to=20260107`)),
    ).toEqual(['to']);
    expect(
      issuePaths(await fails(400, 'XASSET_VALIDATION_FAILED', `${base}&from=2026-01-03&to=20260107`)),
    ).toEqual(['from']);
    expect(
      issuePaths(
        await fails(400, 'XASSET_VALIDATION_FAILED', '/matrix?target=<b>&from=20260103&to=20260107'),
      ),
    ).toEqual(['target']);
    expect(
      issuePaths(await fails(400, 'XASSET_VALIDATION_FAILED', '/matrix?from=20260103&to=20260107')),
    ).toEqual(['target']);
    // A module name of the right shape that the matrix does not know is still the caller's mistake.
    expect(
      issuePaths(
        await fails(400, 'XASSET_VALIDATION_FAILED', `${base}&from=20260103&to=20260107&modules=rt_min`),
      ),
    ).toEqual(['module']);
  });

  it('GET /matrix/explain: why a cell is partial, with the runs and switches around it', async () => {
    const explain = await ok(ExplainView, '/matrix/explain?target=universe&module=daily&tradeDate=20260106');
    expect(explain).toMatchObject({
      target: 'universe',
      module: 'daily',
      tradeDate: '20260106',
      status: 'partial',
      expected: 2,
      got: 1,
      coverage: 0.5,
      missingSample: ['600000.SH'],
      flagsInForce: { p0Enabled: true },
      flagsUpdatedAt: STORED_FLAGS.updatedAt,
    });
    expect(explain.lastRun?.runId).toBe('run-c');
    expect(explain.lastError).toMatchObject({ runId: 'run-b', error: 'HTTP 500 from the Tushare API' });

    const closed = await ok(ExplainView, '/matrix/explain?target=000001.SZ&module=daily&tradeDate=20260104');
    expect(closed.status).toBe('not_applicable');
    expect(closed.notApplicableReason).toBe('market closed');

    expect(
      issuePaths(
        await fails(
          400,
          'XASSET_VALIDATION_FAILED',
          '/matrix/explain?target=universe&module=nope&tradeDate=20260106',
        ),
      ),
    ).toEqual(['module']);
    expect(
      issuePaths(
        await fails(
          400,
          'XASSET_VALIDATION_FAILED',
          `/matrix/explain?target=${STOCKS.join(',')}&module=daily&tradeDate=20260106`,
        ),
      ),
    ).toEqual(['target']);
  });

  it('POST /flags: 401 without a token, 403 with another, never echoing either', async () => {
    const body = { p1Enabled: false, reason: 'fx vendor outage' };
    await fails(401, 'XASSET_UNAUTHORIZED', { method: 'POST', url: '/flags', payload: body });
    const wrong = `adm-${randomBytes(16).toString('hex')}`;
    const error = await fails(403, 'XASSET_FORBIDDEN', {
      method: 'POST',
      url: '/flags',
      payload: body,
      headers: bearer(wrong),
    });
    expect(JSON.stringify(error)).not.toContain(wrong);
    // Authorization comes first: a bad body from a stranger learns nothing about the body rules.
    await fails(401, 'XASSET_UNAUTHORIZED', { method: 'POST', url: '/flags', payload: { nonsense: 1 } });
  });

  it('POST /flags: 403 read-only on a server without an admin token', async () => {
    const readOnly = buildServer(
      {
        ...runtime,
        config: { ...runtime.config, server: { ...runtime.config.server, adminToken: undefined } },
      },
      { now: () => NOW },
    );
    const error = await fails(
      403,
      'XASSET_READ_ONLY',
      {
        method: 'POST',
        url: '/flags',
        payload: { p1Enabled: false, reason: 'x' },
        headers: bearer(ADMIN_TOKEN),
      },
      readOnly,
    );
    expect(error.message).toContain('read-only');
    await readOnly.close();
  });

  it('POST /flags: bodies are strict, with field errors', async () => {
    const post = (payload: unknown) => ({
      method: 'POST' as const,
      url: '/flags',
      payload: payload as object,
      headers: bearer(ADMIN_TOKEN),
    });
    expect(
      issuePaths(await fails(400, 'XASSET_VALIDATION_FAILED', post({ p1Enabled: 'off', reason: 'r' }))),
    ).toEqual(['p1Enabled']);
    expect(issuePaths(await fails(400, 'XASSET_VALIDATION_FAILED', post({ p1Enabled: false })))).toEqual([
      'reason',
    ]);
    // updatedAt is the command's to set; unknown switches are not switches.
    await fails(400, 'XASSET_VALIDATION_FAILED', post({ p1Enabled: false, updatedAt: 5, reason: 'r' }));
    await fails(400, 'XASSET_VALIDATION_FAILED', post({ p3Enabled: true, reason: 'r' }));
    await fails(400, 'XASSET_VALIDATION_FAILED', post({ reason: 'nothing' }));
    await fails(400, 'XASSET_BAD_REQUEST', {
      method: 'POST',
      url: '/flags',
      payload: '{"p1Enabled": fal',
      headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' },
    });
    await fails(415, 'XASSET_UNSUPPORTED_MEDIA_TYPE', {
      method: 'POST',
      url: '/flags',
      payload: 'p1Enabled=false',
      headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/x-www-form-urlencoded' },
    });
  });

  it('POST /flags: appends FlagsChanged to the control log and answers the new state', async () => {
    const result = await ok(SetFlagsResult, {
      method: 'POST',
      url: '/flags',
      payload: { p1Enabled: false, reason: 'fx vendor outage' },
      headers: bearer(ADMIN_TOKEN),
    });
    expect(result.changed).toBe(true);
    expect(result.stored.p1Enabled).toBe(false);
    expect(result.effective.p1Enabled).toBe(false);
    expect(result.updatedAt).toBe(NOW.getTime());
    const events = [];
    for await (const batch of readControlBatches({ log: runtime.log, codec: runtime.codec }))
      events.push(...batch);
    const appended = events.find((e) => e.meta.offset === result.offset);
    expect(appended?.event).toMatchObject({
      type: 'FlagsChanged',
      actor: 'api-admin',
      payload: { reason: 'fx vendor outage', flags: { p1Enabled: false } },
    });

    const again = await ok(SetFlagsResult, {
      method: 'POST',
      url: '/flags',
      payload: { p1Enabled: false, reason: 'same again' },
      headers: bearer(ADMIN_TOKEN),
    });
    expect(again).toMatchObject({ changed: false, offset: null });
  });

  it('POST /flags: a refused command answers 409 with its reasons', async () => {
    const error = await fails(409, 'XASSET_COMMAND_REFUSED', {
      method: 'POST',
      url: '/flags',
      payload: { p2SpecialPermissionStkPremarketV1: true, reason: 'try premarket' },
      headers: bearer(ADMIN_TOKEN),
    });
    const reasons = error.details.reasons as string[];
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.join(' ')).toContain('stk_premarket');
  });

  it('GET /metrics: parsed by a Prometheus parser: process, runs, rows, lag, gates, phase, flags from the real log', async () => {
    const [appended] = await runtime.log.append('tushare.raw.daily', [
      { key: 'daily|000001.SZ|20260107', value: Buffer.from('a') },
      { key: 'daily|000001.SZ|20260107', value: Buffer.from('b') },
    ]);
    await runtime.pool.query(
      `INSERT INTO consumer_offset (consumer, topic, partition, next_offset) VALUES ('normalizer', 'tushare.raw.daily', $1, 0)`,
      [appended?.partition],
    );
    const response = await call('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parseExposition(response.body);
    expect(numberOf(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(m.get('nodejs_eventloop_lag_seconds')?.type).toBe('GAUGE');
    expect(numberOf(m, 'xasset_runs', { chain: 'main', status: 'ok' })).toBe(3);
    expect(numberOf(m, 'xasset_runs', { chain: 'main', status: 'failed' })).toBe(1);
    expect(numberOf(m, 'xasset_runs', { chain: 'index_daily', status: 'running' })).toBe(1);
    expect(numberOf(m, 'xasset_run_rows_emitted_total', { chain: 'main' })).toBe(13);
    expect(numberOf(m, 'xasset_runs_running')).toBe(1);
    expect(numberOf(m, 'xasset_runs_stale')).toBe(1);
    expect(numberOf(m, 'xasset_alerts_raised_total', { severity: 'critical' })).toBe(1);
    expect(numberOf(m, 'xasset_phase', { phase: 'B' })).toBe(1);
    expect(numberOf(m, 'xasset_phase', { phase: 'A' })).toBe(0);
    expect(numberOf(m, 'xasset_phase_frozen')).toBe(0);
    expect(numberOf(m, 'xasset_gate_passed', { gate: 'p0' })).toBe(0);
    expect(numberOf(m, 'xasset_gate_required_days', { gate: 'wave:index_daily' })).toBe(3);
    // Stored on, but p2Enabled is off: not in force.
    expect(numberOf(m, 'xasset_flag_enabled', { flag: 'p2RealtimeIndexV1', view: 'stored' })).toBe(1);
    expect(numberOf(m, 'xasset_flag_enabled', { flag: 'p2RealtimeIndexV1', view: 'effective' })).toBe(0);
    const controlEnd = (await runtime.log.endOffsets(CONTROL_TOPIC)).get(0) ?? 0;
    expect(controlEnd).toBeGreaterThan(0);
    expect(numberOf(m, 'xasset_projection_lag_events', { projection: 'runs' })).toBe(controlEnd);
    const rawEnd = (await runtime.log.endOffsets('tushare.raw.daily')).get(appended?.partition ?? -1);
    expect(
      numberOf(m, 'xasset_consumer_lag_records', {
        consumer: 'normalizer',
        topic: 'tushare.raw.daily',
        partition: String(appended?.partition),
      }),
    ).toBe(rawEnd);
  });

  it('GET /openapi.json: every route, with its parameters, body and security, from the zod schemas', async () => {
    const response = await call('/openapi.json');
    expect(response.statusCode).toBe(200);
    const doc = response.json() as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; in: string }[];
            requestBody?: unknown;
            security?: unknown;
            responses: Record<string, unknown>;
          }
        >
      >;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    // The server serves the P2 gray release (app/server.ts): its route is in the table then.
    const routes = controlPlaneRoutes({ gray: async () => null } as never).map(
      (r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`,
    );
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual([...routes, 'GET /health'].sort());
    expect(documented).toContain('GET /gray');
    expect(doc.paths['/runs']?.get?.parameters?.map((p) => p.name)).toEqual(['status', 'chain', 'limit']);
    expect(doc.paths['/runs/{id}']?.get?.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    ]);
    expect(doc.paths['/matrix']?.get?.responses).toHaveProperty('400');
    expect(doc.paths['/flags']?.post?.requestBody).toBeDefined();
    expect(doc.paths['/flags']?.post?.security).toEqual([{ adminToken: [] }]);
    expect(doc.paths['/flags']?.post?.responses).toHaveProperty('409');
    expect(doc.paths['/health']?.get?.responses).toHaveProperty('503');
    expect(doc.components.securitySchemes.adminToken).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('GET /: the status page as HTML', async () => {
    const response = await call(`/?from=${RANGE.from}&to=${RANGE.to}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('<table class="matrix">');
    expect(response.body).not.toContain('<img');
    await fails(400, 'XASSET_VALIDATION_FAILED', `/?from=${RANGE.to}&to=${RANGE.from}`);
    await fails(400, 'XASSET_VALIDATION_FAILED', '/?switch=on');
  });

  it('answers unknown routes and methods with the error shape', async () => {
    const error = await fails(404, 'XASSET_ROUTE_NOT_FOUND', '/nothing-here?token=abc');
    expect(error.details).toEqual({ method: 'GET', path: '/nothing-here' });
    await fails(404, 'XASSET_ROUTE_NOT_FOUND', { method: 'DELETE', url: '/flags' });
  });

  it('answers a store failure with a 500 that says nothing about its cause', async () => {
    // A search path holding only an empty schema: no table resolves, wherever else tables exist.
    const empty = await isolatedSchema(services().postgresUrl);
    const emptyPool = new pg.Pool({
      connectionString: services().postgresUrl,
      options: `-c search_path=${empty.schema}`,
    });
    const logged: unknown[][] = [];
    const logger = { error: (...args: unknown[]) => logged.push(args) } as unknown as Logger;
    const broken = buildServer({ ...runtime, pool: emptyPool }, { now: () => NOW, logger });
    try {
      const error = await fails(500, 'XASSET_INTERNAL', '/runs', broken);
      expect(error.message).not.toMatch(/relation|ingest_runs|does not exist/);
      expect(error.details).toEqual({});
      // The cause goes to the server's log instead.
      const [fields] = logged[0] ?? [];
      expect(String((fields as { err?: Error } | undefined)?.err?.message)).toMatch(/ingest_runs/);
    } finally {
      await broken.close();
      await emptyPool.end();
      await empty.drop();
    }
  });

  it('never shows the admin token or the Tushare token in any response', () => {
    expect(seen.length).toBeGreaterThan(40);
    for (const response of seen) {
      const text = `${JSON.stringify(response.headers)}\n${response.body}`;
      expect(text).not.toContain(ADMIN_TOKEN);
      expect(text).not.toContain(TUSHARE_TOKEN);
    }
  });
});

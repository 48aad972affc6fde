import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime, setUp } from '../../../app/runtime.js';
import { buildServer } from '../../../app/server.js';
import { loadConfig } from '../../../contracts/config.js';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import {
  ErrorBody,
  FlagsHistoryView,
  FlagsView,
  SetFlagsResult,
  StatusView,
} from '../../../projections/api/schemas.js';
import { recordProbe } from '../../../projections/commands/flags.js';
import { ProjectionRunner } from '../../../projections/runner/runner.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';

const ADMIN_TOKEN = `adm-${randomBytes(16).toString('hex')}`;
const NOW = new Date('2026-01-07T10:00:00.000Z');

let db: IsolatedDatabase;
let stateDir: string;
let runtime: Runtime;
let app: FastifyInstance;
let runner: ProjectionRunner;

beforeAll(async () => {
  db = await isolatedSchema(services().postgresUrl);
  stateDir = await mkdtemp(join(tmpdir(), 'xasset-loop-'));
  runtime = await openRuntime(
    loadConfig({
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: stateDir,
      XASSET_ADMIN_TOKEN: ADMIN_TOKEN,
    }),
  );
  await setUp(runtime);
  app = buildServer(runtime, { now: () => NOW });
  runner = new ProjectionRunner({ pool: runtime.pool, log: runtime.log, codec: runtime.codec });
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
  await db?.drop();
  await rm(stateDir, { recursive: true, force: true });
});

const postFlags = (payload: object) =>
  app.inject({ method: 'POST', url: '/flags', payload, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

const getJson = async <T>(url: string, schema: { parse(v: unknown): T }): Promise<T> => {
  const response = await app.inject({ method: 'GET', url });
  expect(response.statusCode, response.body).toBe(200);
  return schema.parse(response.json());
};

describe('POST /flags through the control log and the projection runner back to GET /flags', () => {
  it('serves the roadmap baseline and an empty page before anything happened', async () => {
    const flags = await getJson('/flags', FlagsView);
    expect(flags).toMatchObject({ stored: DEFAULT_FLAGS, source: 'default', lastChange: null });
    const status = await getJson('/status', StatusView);
    expect(status.phase).toEqual({ current: 'A', frozen: false, frozenReason: null, changedAt: null });
    // No trading calendar, no runs: the page still renders, with the last 20 days by default.
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body.match(/<td class="cell /g)?.length).toBeGreaterThan(0);
    expect(page.body).toContain('No runs yet.');
  });

  it('shows an appended change once the runner has folded it', async () => {
    const posted = SetFlagsResult.parse(
      (await postFlags({ p1Enabled: false, reason: 'fx vendor outage' })).json(),
    );
    expect(posted.changed).toBe(true);
    // The tables lag the log until the runner catches up; the API never pretends otherwise.
    expect((await getJson('/flags', FlagsView)).source).toBe('default');

    const report = await runner.catchUp();
    expect(report.events).toBe(1);
    const flags = await getJson('/flags', FlagsView);
    expect(flags.stored.p1Enabled).toBe(false);
    expect(flags.updatedAt).toBe(NOW.getTime());
    expect(flags.lastChange).toMatchObject({
      offset: posted.offset,
      actor: 'api-admin',
      reason: 'fx vendor outage',
    });
    const history = await getJson('/flags/history', FlagsHistoryView);
    expect(history.entries.map((e) => e.offset)).toEqual([posted.offset]);

    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('xasset_projection_lag_events{projection="flags"} 0\n');
  });

  it('refuses the premarket switch until a passed probe is on the log, then accepts it', async () => {
    const refused = await postFlags({ p2SpecialPermissionStkPremarketV1: true, reason: 'premarket trial' });
    expect(refused.statusCode).toBe(409);
    expect(ErrorBody.parse(refused.json()).error.code).toBe('XASSET_COMMAND_REFUSED');

    await recordProbe(
      { log: runtime.log, codec: runtime.codec },
      { apiName: 'stk_premarket', passed: true, actor: 'probe', now: NOW.getTime() },
    );
    const accepted = await postFlags({ p2SpecialPermissionStkPremarketV1: true, reason: 'premarket trial' });
    expect(accepted.statusCode, accepted.body).toBe(200);
    await runner.catchUp();
    const flags = await getJson('/flags', FlagsView);
    expect(flags.stored.p2SpecialPermissionStkPremarketV1).toBe(true);
    // Stored on; in force only from phase D, and this store is still in phase A.
    expect(flags.effective.p2SpecialPermissionStkPremarketV1).toBe(false);
    expect(flags.differences.p2SpecialPermissionStkPremarketV1).toEqual({
      reason: 'phase',
      detail: 'p2SpecialPermissionStkPremarketV1 takes effect from phase D; the store is in phase A',
    });
    expect((await getJson('/flags/history', FlagsHistoryView)).entries).toHaveLength(2);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthReport } from '../../app/health.js';
import { openRuntime, type Runtime, setUp } from '../../app/runtime.js';
import { buildServer } from '../../app/server.js';
import { loadConfig } from '../../contracts/config.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

describe('GET /health on the embedded log over PostgreSQL 15', () => {
  let db: IsolatedDatabase;
  let runtime: Runtime;

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    runtime = await openRuntime(
      loadConfig({ XASSET_DATABASE_URL: services().postgresUrl, XASSET_DATABASE_SCHEMA: db.schema }),
    );
  });
  afterAll(async () => {
    await runtime.close();
    await db.drop();
  });

  it('answers degraded before setup and ok after, in the documented shape', async () => {
    const app = buildServer(runtime);
    const before = await app.inject({ method: 'GET', url: '/health' });
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ status: 'degraded', log: { kind: 'embedded', ok: true } });

    await setUp(runtime);
    const after = await app.inject({ method: 'GET', url: '/health' });
    const body = HealthReport.parse(after.json());
    expect(body.status).toBe('ok');
    expect(body.store).toMatchObject({ storageMode: 'postgresql', migrationsPending: [], hypertables: [] });
    await app.close();
  });

  it('answers 503 when the store cannot be reached', async () => {
    const broken = await openRuntime(
      loadConfig({ XASSET_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }),
    );
    const app = buildServer(broken);
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'down', store: { ok: false } });
    await app.close();
    await broken.close();
  });
});

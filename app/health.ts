import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { topicDefinitions } from '../contracts/topics.js';
import { listHypertables, loadMigrations, storageModeOf } from '../infra/migrations/migrate.js';
import type { Runtime } from './runtime.js';

const Check = z.object({ ok: z.boolean(), error: z.string().optional() });

/** The answer of `xasset health` and `GET /health`: one shape, validated before it leaves. */
export const HealthReport = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  version: z.string(),
  checkedAt: z.string(),
  log: Check.extend({
    kind: z.enum(['embedded', 'kafka']),
    topicsExpected: z.number().int(),
    topicsMissing: z.array(z.string()),
  }),
  store: Check.extend({
    kind: z.enum(['embedded-pglite', 'postgres']),
    url: z.string(),
    storageMode: z.enum(['timescaledb', 'postgresql']).optional(),
    hypertables: z.array(z.string()),
    migrationsApplied: z.number().int(),
    migrationsPending: z.array(z.string()),
  }),
  registry: Check.extend({ url: z.string(), subjects: z.number().int().optional() }).optional(),
});
export type HealthReport = z.infer<typeof HealthReport>;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

let version: string | undefined;
async function packageVersion(): Promise<string> {
  version ??= (
    JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return version;
}

/**
 * Asks each real dependency one cheap question. `down` when the store or the log cannot answer;
 * `degraded` when they answer but are not set up (pending migrations, missing topics).
 */
export async function checkHealth(runtime: Runtime): Promise<HealthReport> {
  const expectedTopics = topicDefinitions().map((t) => t.name);
  const [store, log, registry] = await Promise.all([
    checkStore(runtime),
    checkLog(runtime, expectedTopics),
    checkRegistry(runtime),
  ]);
  const reachable = store.ok && log.ok && (registry?.ok ?? true);
  const complete = store.migrationsPending.length === 0 && log.topicsMissing.length === 0;
  return HealthReport.parse({
    status: !reachable ? 'down' : complete ? 'ok' : 'degraded',
    version: await packageVersion(),
    checkedAt: new Date().toISOString(),
    log,
    store,
    ...(registry ? { registry } : {}),
  });
}

async function checkStore(runtime: Runtime): Promise<HealthReport['store']> {
  const base = { kind: runtime.store.kind, url: runtime.store.url, hypertables: [], migrationsApplied: 0 };
  const all = await loadMigrations();
  try {
    const client = await runtime.pool.connect();
    try {
      // Qualified with the configured schema: `public` stays on the search path for extension
      // functions, and an unqualified name would find another deployment's table there.
      const table = `"${runtime.config.database.schema}".schema_migrations`;
      const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
      const applied = exists.rows[0]?.t
        ? (await client.query<{ name: string }>(`SELECT name FROM ${table}`)).rows.map((r) => r.name)
        : [];
      const hypertables = await listHypertables(client);
      return {
        ...base,
        ok: true,
        storageMode: storageModeOf(hypertables),
        hypertables,
        migrationsApplied: applied.length,
        migrationsPending: all.map((m) => m.name).filter((name) => !applied.includes(name)),
      };
    } finally {
      client.release();
    }
  } catch (err) {
    return { ...base, ok: false, error: message(err), migrationsPending: all.map((m) => m.name) };
  }
}

async function checkLog(runtime: Runtime, expected: string[]): Promise<HealthReport['log']> {
  try {
    const present = new Set(await runtime.log.listTopics());
    return {
      ok: true,
      kind: runtime.log.kind,
      topicsExpected: expected.length,
      topicsMissing: expected.filter((t) => !present.has(t)),
    };
  } catch (err) {
    return {
      ok: false,
      error: message(err),
      kind: runtime.log.kind,
      topicsExpected: expected.length,
      topicsMissing: expected,
    };
  }
}

async function checkRegistry(runtime: Runtime): Promise<HealthReport['registry']> {
  const url = runtime.config.registry.url;
  if (runtime.config.log !== 'kafka' || !url) return undefined;
  try {
    const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return { ok: false, url, error: `HTTP ${response.status}` };
    return { ok: true, url, subjects: ((await response.json()) as unknown[]).length };
  } catch (err) {
    return { ok: false, url, error: message(err) };
  }
}

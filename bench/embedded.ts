import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topicSchemas } from '../contracts/avro/schemas.js';
import { endpoint, rawTopic } from '../contracts/catalog/index.js';
import { loadConfig } from '../contracts/config.js';
import type { TableName } from '../contracts/normalized/tables.js';
import { topicDefinitions } from '../contracts/topics.js';
import { SingleObjectCodec } from '../infra/codec/single-object-codec.js';
import { PgEventLog } from '../infra/log/pg-event-log.js';
import { migrate } from '../infra/migrations/migrate.js';
import { openEmbeddedPglite } from '../infra/store/embedded-pglite.js';
import { createPool } from '../infra/store/pg.js';
import { runProcessor } from '../processors/processor.js';
import { pageRecords } from '../producers/fetch/raw-record.js';
import type { TusharePage } from '../producers/tushare/source.js';
import { say } from './setup.js';

const DEFAULTS = loadConfig({});

/**
 * The embedded mode as `demo` runs it: PGlite with TimescaleDB in this process, the event log in a
 * table of it, single-object Avro. The pages are appended untimed; `runProcessor` is timed.
 */
export async function embeddedRun(
  pages: readonly TusharePage[],
  apis: readonly string[],
  table: TableName,
  options: { batch: number; concurrency: number },
): Promise<{ records: number; seconds: number; cpuSeconds: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'xasset-bench-pglite-'));
  const db = await openEmbeddedPglite({ dataDir: dir, port: 0 });
  // PGlite has a single backend, as in the product's embedded runtime.
  const pool = createPool({ url: db.url, schema: DEFAULTS.database.schema, size: 1 });
  try {
    await migrate(pool, { schema: DEFAULTS.database.schema });
    const log = new PgEventLog(pool);
    const codec = new SingleObjectCodec(topicSchemas());
    const topics = apis.map((api) => rawTopic(api));
    await log.ensureTopics(topicDefinitions());
    const context = { runId: randomUUID(), fetchedAt: Date.now() };
    let appended = 0;
    for (const page of pages) {
      const topic = rawTopic(page.apiName);
      const records = await pageRecords(endpoint(page.apiName), page, context, (value) =>
        codec.encode(topic, value),
      );
      await log.append(topic, records);
      appended += records.length;
    }
    say(`embedded: ${appended} records appended to the PGlite log (not timed), processing`);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const stats = await runProcessor({
      log,
      codec,
      pool,
      consumer: 'bench-embedded',
      topics,
      batchSize: options.batch,
      concurrency: options.concurrency,
      until: 'caught-up',
    });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
    if (rows[0]?.n !== appended)
      throw new Error(`embedded: ${table} holds ${rows[0]?.n} rows, ${appended} expected`);
    return { records: stats.records, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
  } finally {
    await pool.end();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

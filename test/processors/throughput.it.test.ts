import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicSchemas } from '../../contracts/avro/schemas.js';
import { rawTopic } from '../../contracts/catalog/index.js';
import { topicDefinitions } from '../../contracts/topics.js';
import { SingleObjectCodec } from '../../infra/codec/single-object-codec.js';
import { PgEventLog } from '../../infra/log/pg-event-log.js';
import { migrate } from '../../infra/migrations/migrate.js';
import { runProcessor } from '../../processors/processor.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';
import { dailyFields, rawRecord } from './raw-fixtures.js';

const ROWS = 50_000;
const STOCKS = 5_000;

describe('processor throughput on PostgreSQL 15 (embedded log)', () => {
  let db: IsolatedDatabase;
  let log: PgEventLog;
  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    await migrate(db.pool, { schema: db.schema });
    log = new PgEventLog(db.pool, { pollMs: 20 });
    await log.ensureTopics(topicDefinitions());
  });
  afterAll(async () => {
    await log?.close();
    await db?.drop();
  });

  it(`processes ${ROWS} daily rows into market_bar`, async () => {
    const codec = new SingleObjectCodec(topicSchemas());
    const topic = rawTopic('daily');
    for (let start = 0; start < ROWS; start += 5_000) {
      const outgoing = await Promise.all(
        Array.from({ length: 5_000 }, async (_, k) => {
          const i = start + k;
          const fields = dailyFields(i % STOCKS, Math.floor(i / STOCKS));
          return {
            key: `daily|${fields.ts_code}|${fields.trade_date}`,
            value: await codec.encode(topic, rawRecord('daily', fields)),
          };
        }),
      );
      await log.append(topic, outgoing);
    }
    const started = performance.now();
    const stats = await runProcessor({
      log,
      codec,
      pool: db.pool,
      consumer: 'throughput',
      topics: [topic],
      batchSize: 5_000,
      until: 'caught-up',
    });
    const seconds = (performance.now() - started) / 1000;
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM market_bar');
    expect(rows[0]?.n).toBe(ROWS);
    expect(stats).toMatchObject({ inserted: ROWS, records: ROWS, published: ROWS, lagAtEnd: 0 });
    console.log(
      `[throughput] ${ROWS} daily rows in ${seconds.toFixed(2)} s = ${Math.round(ROWS / seconds)} rows/s ` +
        `(${stats.batches} transactions, normalized topic included)`,
    );
  });
});

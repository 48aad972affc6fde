import { afterAll, describe, expect, it } from 'vitest';
import { topicSchemas } from '../../contracts/avro/schemas.js';
import { rawTopic } from '../../contracts/catalog/index.js';
import { topicDefinitions } from '../../contracts/topics.js';
import type { SchemaCodec } from '../../infra/codec/schema-codec.js';
import { SingleObjectCodec } from '../../infra/codec/single-object-codec.js';
import { PgEventLog } from '../../infra/log/pg-event-log.js';
import { migrate } from '../../infra/migrations/migrate.js';
import { runProcessor } from '../../processors/processor.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';
import { processorSuite } from './processor.suite.js';
import { dailyFields, rawRecord } from './raw-fixtures.js';

for (const [name, url, poolSize] of [
  ['embedded log on PostgreSQL 15', () => services().postgresUrl, 4],
  ['embedded log on PGlite + TimescaleDB', () => services().timescaleUrl, 1],
] as const) {
  processorSuite(name, async () => {
    const db = await isolatedSchema(url(), { poolSize });
    await migrate(db.pool, { schema: db.schema });
    const log = new PgEventLog(db.pool, { pollMs: 20 });
    await log.ensureTopics(topicDefinitions());
    return {
      pool: db.pool,
      log,
      codec: new SingleObjectCodec(topicSchemas()),
      prefix: '',
      setGroupOffsets: async (group, topic, offsets) => {
        for (const { partition, offset } of offsets) {
          await db.pool.query(
            'UPDATE event_log_group_offset SET next_offset = $4 WHERE group_id = $1 AND topic = $2 AND partition = $3',
            [group, topic, partition, offset],
          );
        }
      },
      close: async () => {
        await log.close();
        await db.drop();
      },
    };
  });
}

describe('runProcessor: restartable, and independent of batch boundaries (PostgreSQL 15)', () => {
  const dbs: IsolatedDatabase[] = [];
  const logs: PgEventLog[] = [];
  afterAll(async () => {
    for (const log of logs) await log.close();
    for (const db of dbs) await db.drop();
  });

  /** A fresh store + embedded log holding the same raw history: fetches, re-fetches and corrections. */
  async function store(): Promise<{ db: IsolatedDatabase; log: PgEventLog; codec: SingleObjectCodec }> {
    const db = await isolatedSchema(services().postgresUrl);
    dbs.push(db);
    await migrate(db.pool, { schema: db.schema });
    const log = new PgEventLog(db.pool, { pollMs: 20 });
    logs.push(log);
    await log.ensureTopics(topicDefinitions());
    const codec = new SingleObjectCodec(topicSchemas());
    const history: Record<string, unknown>[] = [];
    for (let round = 0; round < 4; round++) {
      for (let s = 0; s < 40; s++) {
        // Round 1 re-fetches round 0 unchanged; round 2 corrects every third stock; round 3 restores it.
        const bump = round === 2 && s % 3 === 0 ? 0.25 : 0;
        history.push(dailyFields(s, 0, bump));
        history.push(dailyFields(s, 1 + (round % 2)));
      }
    }
    history.push({ ...dailyFields(0, 5), trade_date: '20240231' });
    const topic = rawTopic('daily');
    await log.append(
      topic,
      await Promise.all(
        history.map(async (fields) => ({
          key: `daily|${fields.ts_code}|${fields.trade_date}`,
          value: await codec.encode(topic, rawRecord('daily', fields)),
        })),
      ),
    );
    return { db, log, codec };
  }

  const snapshot = async (db: IsolatedDatabase) => {
    const { rows } = await db.pool.query(
      `SELECT asset_class, ts_code, trade_date::text, open, high, low, close, pre_close, change, pct_chg, vol, amount,
              encode(content_hash, 'hex') AS hash, source_topic, source_partition, source_offset
       FROM market_bar ORDER BY 1, 2, 3`,
    );
    const { rows: offsets } = await db.pool.query(
      'SELECT topic, partition, next_offset FROM consumer_offset ORDER BY 1, 2',
    );
    return { rows, offsets };
  };

  it('stops on abort, resumes from the stored offsets, and ends with the rows of a clean run', async () => {
    const clean = await store();
    const cleanStats = await runProcessor({
      log: clean.log,
      codec: clean.codec,
      pool: clean.db.pool,
      consumer: 'p',
      topics: [rawTopic('daily')],
      batchSize: 1_000,
      until: 'caught-up',
    });
    expect(cleanStats.deadLettered.total).toBe(1);

    const interrupted = await store();
    const controller = new AbortController();
    const progress: number[] = [];
    const first = await runProcessor({
      log: interrupted.log,
      codec: interrupted.codec,
      pool: interrupted.db.pool,
      consumer: 'p',
      topics: [rawTopic('daily')],
      batchSize: 7,
      until: 'stopped',
      signal: controller.signal,
      onProgress: (stats) => {
        progress.push(stats.records);
        if (stats.batches === 3) controller.abort();
      },
    });
    expect(first.batches).toBeGreaterThanOrEqual(3);
    expect(first.lagAtEnd).toBeGreaterThan(0);
    expect(progress.slice(0, 3)).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
    expect((await snapshot(interrupted.db)).rows.length).toBeLessThan((await snapshot(clean.db)).rows.length);

    const rest = await runProcessor({
      log: interrupted.log,
      codec: interrupted.codec,
      pool: interrupted.db.pool,
      consumer: 'p',
      topics: [rawTopic('daily')],
      batchSize: 11,
      until: 'caught-up',
    });
    expect(rest.lagAtEnd).toBe(0);
    expect(first.records + rest.records).toBe(cleanStats.records);
    expect(await snapshot(interrupted.db)).toEqual(await snapshot(clean.db));
  });
});

describe('runProcessor: another writer under the same consumer name (PostgreSQL 15)', () => {
  let db: IsolatedDatabase | undefined;
  let log: PgEventLog | undefined;
  afterAll(async () => {
    await log?.close();
    await db?.drop();
  });

  it('re-reads the stored offsets when they moved under it, and continues after them', async () => {
    db = await isolatedSchema(services().postgresUrl);
    const pool = db.pool;
    await migrate(pool, { schema: db.schema });
    log = new PgEventLog(pool, { pollMs: 20 });
    await log.ensureTopics(topicDefinitions());
    const real = new SingleObjectCodec(topicSchemas());
    const topic = rawTopic('daily');
    const rows = Array.from({ length: 60 }, (_, i) => dailyFields(i, 0));
    await log.append(
      topic,
      await Promise.all(
        rows.map(async (f) => ({
          key: `daily|${f.ts_code}|${f.trade_date}`,
          value: await real.encode(topic, rawRecord('daily', f)),
        })),
      ),
    );
    // The real codec, plus one interference: while the second batch is being decoded, "another
    // member" commits two more records of the partition the first batch came from.
    let decoded = 0;
    const codec: SchemaCodec = {
      format: real.format,
      prepare: () => real.prepare(),
      encode: (t, value) => real.encode(t, value),
      decode: async (t, payload) => {
        decoded += 1;
        if (decoded === 7) {
          await pool.query(
            "UPDATE consumer_offset SET next_offset = next_offset + 2 WHERE consumer = 'twice'",
          );
        }
        return real.decode(t, payload);
      },
    };
    const warnings: string[] = [];
    const stats = await runProcessor({
      log,
      codec,
      pool,
      consumer: 'twice',
      topics: [topic],
      batchSize: 5,
      until: 'caught-up',
      logger: { info: () => {}, debug: () => {}, warn: (_fields, message) => warnings.push(message) },
    });
    expect(warnings).toEqual(['batch retried']);
    expect(stats.records).toBe(58);
    expect(stats.skipped).toBe(2);
    expect(stats.lagAtEnd).toBe(0);
    const { rows: count } = await pool.query('SELECT count(*)::int AS n FROM market_bar');
    expect(count).toEqual([{ n: 58 }]);
  });
});

import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';
import type { TableName } from '../contracts/normalized/tables.js';
import { normalize } from '../processors/normalize/index.js';
import { storedValues, upsertStatement } from './stored-columns.js';

export interface NaiveOptions {
  brokers: string[];
  registryUrl: string;
  pool: pg.Pool;
  group: string;
  /** Raw topics to read, each with its api_name. */
  topics: ReadonlyMap<string, string>;
  /** Messages to write before stopping. */
  limit: number;
  onProgress?: (written: number) => void;
}

/**
 * The consumer a user writes first: kafkajs `eachMessage`, the registry client's `decode`, then one
 * `INSERT … ON CONFLICT DO UPDATE` per row, each its own PostgreSQL transaction (autocommit). Kafka
 * offsets use kafkajs's default autocommit: resolved per message, committed after each fetched batch.
 * Mapping a record to rows is our normalizer: what is measured is the per-message write pattern.
 * Returns the seconds from connecting to the `limit`-th message written (group join included).
 */
export async function runNaiveConsumer(options: NaiveOptions): Promise<number> {
  const statements = new Map<TableName, string>();
  const statement = (table: TableName) => {
    let sql = statements.get(table);
    if (sql === undefined) {
      sql = upsertStatement(table);
      statements.set(table, sql);
    }
    return sql;
  };
  const registry = new SchemaRegistry({ host: options.registryUrl });
  const kafka = new Kafka({
    clientId: 'xasset-bench-naive',
    brokers: options.brokers,
    logLevel: logLevel.WARN,
  });
  const consumer = kafka.consumer({ groupId: options.group });
  const started = performance.now();
  let written = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics.keys()], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            if (written >= options.limit || message.value === null) return;
            const raw = await registry.decode(message.value);
            const result = normalize(options.topics.get(topic) ?? '', raw);
            if (!result.ok) throw result.error;
            const source = { topic, partition, offset: Number(message.offset) };
            for (const row of result.rows) {
              await options.pool.query(statement(row.table), storedValues(row.table, row.values, source));
            }
            written += 1;
            options.onProgress?.(written);
            if (written === options.limit) resolve();
          },
        })
        .catch(reject);
    });
    return (performance.now() - started) / 1000;
  } finally {
    await consumer.disconnect();
  }
}

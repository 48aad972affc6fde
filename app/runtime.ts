import { join } from 'node:path';
import type pg from 'pg';
import type pino from 'pino';
import { topicSchemas } from '../contracts/avro/schemas.js';
import type { Config } from '../contracts/config.js';
import { CONTROL_TOPIC } from '../contracts/events/control.js';
import { topicDefinitions } from '../contracts/topics.js';
import { ConfluentCodec } from '../infra/codec/confluent-codec.js';
import type { SchemaCodec } from '../infra/codec/schema-codec.js';
import { SingleObjectCodec } from '../infra/codec/single-object-codec.js';
import type { EventLog } from '../infra/log/event-log.js';
import { KafkaEventLog } from '../infra/log/kafka-event-log.js';
import { PgEventLog } from '../infra/log/pg-event-log.js';
import { PrefixedEventLog } from '../infra/log/prefixed-event-log.js';
import { type MigrationReport, migrate } from '../infra/migrations/migrate.js';
import { PgAdvisoryLock } from '../infra/store/advisory-lock.js';
import { type EmbeddedPglite, openEmbeddedPglite } from '../infra/store/embedded-pglite.js';
import { createPool } from '../infra/store/pg.js';

/**
 * The composition root: the one place that decides which adapter backs each port, from the
 * config. Everything else receives ports and never looks at the mode.
 */
export interface Runtime {
  config: Config;
  pool: pg.Pool;
  log: EventLog;
  codec: SchemaCodec;
  store: { kind: 'embedded-pglite' | 'postgres'; url: string };
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** The app's logger; adapters that log on their own (kafkajs) are routed into it. */
  logger?: pino.Logger;
}

export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  let embedded: EmbeddedPglite | undefined;
  let url = config.database.url;
  if (!url) {
    // No database given: PGlite with TimescaleDB in this process, data kept in the state folder.
    embedded = await openEmbeddedPglite({
      dataDir: join(config.local.stateDir, 'embedded', 'pglite'),
      port: 0,
    });
    url = embedded.url;
  }
  // PGlite has a single backend: a second pooled connection would only wait behind the first.
  const pool = createPool({
    url,
    schema: config.database.schema,
    size: embedded ? 1 : config.database.poolSize,
  });
  const schemas = topicSchemas();
  const kafkaLogger = options.logger?.child({ component: 'kafkajs' });
  const kafka = (): EventLog => {
    const prefix = config.kafka.topicPrefix ?? '';
    const log = new KafkaEventLog({
      brokers: config.kafka.brokers ?? [],
      clientId: config.kafka.clientId,
      // Commands decide on the control log and append only if it has not moved since (runCommand);
      // on Kafka that check is exact only under a lock all its writers share, held in the store
      // every process of a deployment already shares (README: "Concurrent commands").
      appendLock: { lock: new PgAdvisoryLock(pool), topics: [`${prefix}${CONTROL_TOPIC}`] },
      outagePatienceMs: config.pipeline.outagePatienceMs,
      log: kafkaLogger
        ? (level, message, fields) => kafkaLogger[retrying(level, fields) ? 'debug' : level](fields, message)
        : undefined,
    });
    return config.kafka.topicPrefix ? new PrefixedEventLog(log, config.kafka.topicPrefix) : log;
  };
  const log: EventLog = config.log === 'kafka' ? kafka() : new PgEventLog(pool);
  const codec: SchemaCodec =
    config.log === 'kafka'
      ? new ConfluentCodec(config.registry.url ?? '', schemas)
      : new SingleObjectCodec(schemas);
  return {
    config,
    pool,
    log,
    codec,
    store: { kind: embedded ? 'embedded-pglite' : 'postgres', url: redactUrl(url) },
    close: async () => {
      await log.close();
      await pool.end();
      await embedded?.close();
    },
  };
}

/**
 * kafkajs logs every failed connection attempt as an error, with a stack, while it still retries.
 * They are debug lines: if the retries run out, the command fails with one line that says so.
 */
const retrying = (level: string, fields: Record<string, unknown>): boolean =>
  level === 'error' && (fields.namespace === 'Connection' || fields.namespace === 'BrokerPool');

export interface SetupReport {
  migrations: MigrationReport;
  topics: number;
  schemasRegistered: number;
}

/**
 * Brings a store and a log to the shape this version needs: migrations, topics with their configs,
 * and (Kafka mode) every value schema registered with BACKWARD compatibility. Safe to run again.
 */
export async function setUp(runtime: Runtime, log?: (line: string) => void): Promise<SetupReport> {
  const migrations = await migrate(runtime.pool, {
    schema: runtime.config.database.schema,
    log,
    minuteCompressAfterDays: runtime.config.database.minuteCompressAfterDays,
  });
  const topics = topicDefinitions();
  await runtime.log.ensureTopics(topics);
  await runtime.codec.prepare(topics.map((t) => t.name));
  return {
    migrations,
    topics: topics.length,
    schemasRegistered: runtime.codec.format === 'confluent' ? topics.length : 0,
  };
}

/** A database URL fit for logs and status pages: the password, if any, is replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}

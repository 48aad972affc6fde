import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import kafkajs, { type Admin } from 'kafkajs';
import pg from 'pg';
import { type TopicSchema, topicSchemas } from '../contracts/avro/schemas.js';
import { rawTopic } from '../contracts/catalog/index.js';
import { DLQ_TOPIC } from '../contracts/events/dead-letter.js';
import { MINUTE_ASSETS, minuteTopic } from '../contracts/normalized/intraday.js';
import { MARKET_ASSETS, marketTopic } from '../contracts/normalized/market.js';
import { type TopicDefinition, topicDefinitions } from '../contracts/topics.js';
import { subjectOf } from '../infra/codec/schema-codec.js';
import { KafkaEventLog } from '../infra/log/kafka-event-log.js';
import { migrate } from '../infra/migrations/migrate.js';
import { createPool } from '../infra/store/pg.js';

export interface BenchServices {
  brokers: string[];
  registryUrl: string;
  databaseUrl: string;
}

/** From the bench's own variables, else what `npx xasset services up kafka registry` starts and the machine's PostgreSQL. */
export function benchServices(env: NodeJS.ProcessEnv): BenchServices {
  const given = (name: string) => (env[name] === '' ? undefined : env[name]);
  return {
    brokers: (given('XASSET_BENCH_KAFKA_BROKERS') ?? '127.0.0.1:9092').split(',').map((b) => b.trim()),
    registryUrl: given('XASSET_BENCH_REGISTRY_URL') ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    databaseUrl: given('XASSET_BENCH_DATABASE_URL') ?? 'postgres://postgres@127.0.0.1:5432/test',
  };
}

export const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/**
 * The bench's Kafka admin client and event log, both undone by `cleanup`; the log's warnings and
 * errors go to stderr with their fields.
 */
export async function benchKafka(
  services: BenchServices,
  cleanup: Cleanup,
): Promise<{ admin: Admin; log: KafkaEventLog }> {
  const admin = new kafkajs.Kafka({
    clientId: 'xasset-bench',
    brokers: services.brokers,
    logLevel: kafkajs.logLevel.WARN,
  }).admin();
  cleanup.add('kafka admin', () => admin.disconnect());
  await admin.connect();
  const log = new KafkaEventLog({
    brokers: services.brokers,
    clientId: 'xasset-bench',
    log: (level, message, fields) =>
      level === 'error' || level === 'warn'
        ? say(`kafka ${level}: ${message} ${JSON.stringify(fields)}`)
        : undefined,
  });
  cleanup.add('event log', () => log.close());
  return { admin, log };
}

/** What one bench run prints, and the JSON it writes to `jsonPath` when given (`--json FILE`). */
export interface BenchOutput {
  text: string;
  json: unknown;
  jsonPath: string | undefined;
}

/**
 * Runs a bench as a script: prints its table, writes its JSON when asked, and undoes what it made
 * however the run ends, Ctrl-C included; a failure is said in one line and exits 1.
 */
export function runBench(bench: (cleanup: Cleanup) => Promise<BenchOutput>): void {
  const cleanup = new Cleanup();
  const interrupted = (signal: string) => {
    say(`${signal}: cleaning up`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const run = async () => {
    try {
      const { text, json, jsonPath } = await bench(cleanup);
      console.log(text);
      if (jsonPath) await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
    } finally {
      say('cleaning up');
      await cleanup.run();
    }
  };
  run().catch((err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  });
}

/** What the bench created, undone in reverse order; each step is tried even when an earlier one fails. */
export class Cleanup {
  readonly #steps: { what: string; undo: () => Promise<unknown> }[] = [];
  #running: Promise<void> | undefined;

  add(what: string, undo: () => Promise<unknown>): void {
    this.#steps.push({ what, undo });
  }

  run(): Promise<void> {
    this.#running ??= (async () => {
      for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
        try {
          await step.undo();
        } catch (err) {
          say(`cleanup of ${step.what} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.#running;
  }
}

/** The topics one bench run writes, under its own prefix: the raw topics given, dead letters, normalized (daily and minute). */
export function benchTopics(
  prefix: string,
  apis: readonly string[],
): { definitions: TopicDefinition[]; schemas: TopicSchema[] } {
  const wanted = new Set([
    ...apis.map(rawTopic),
    DLQ_TOPIC,
    ...MARKET_ASSETS.map(marketTopic),
    ...MINUTE_ASSETS.map(minuteTopic),
  ]);
  return {
    definitions: topicDefinitions()
      .filter((t) => wanted.has(t.name))
      .map((t) => ({ ...t, name: prefix + t.name })),
    schemas: topicSchemas()
      .filter((s) => wanted.has(s.topic))
      .map((s) => ({ ...s, topic: prefix + s.topic })),
  };
}

/** Every topic under a run's prefix: the bench's own and those its `xasset process` children created. */
export async function deleteTopicsWithPrefix(admin: Admin, prefix: string): Promise<void> {
  const topics = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics });
}

/** Soft then permanent delete, as the Confluent API requires; a registry keeps no trace of the run. */
export async function deleteSubjects(registryUrl: string, topics: readonly string[]): Promise<void> {
  for (const topic of topics) {
    const subject = `${registryUrl}/subjects/${encodeURIComponent(subjectOf(topic))}`;
    for (const url of [subject, `${subject}?permanent=true`]) {
      const response = await fetch(url, { method: 'DELETE' });
      if (!response.ok && response.status !== 404) throw new Error(`DELETE ${url}: HTTP ${response.status}`);
    }
  }
}

/** A new schema with every migration applied, and a pool on it; both go away with `cleanup`. */
export async function freshSchema(
  url: string,
  schema: string,
  poolSize: number,
  cleanup: Cleanup,
): Promise<pg.Pool> {
  cleanup.add(`schema ${schema}`, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
  const pool = createPool({ url, schema, size: poolSize });
  cleanup.add(`pool on ${schema}`, () => pool.end());
  await migrate(pool, { schema });
  return pool;
}

export interface Environment {
  cores: string;
  /** 1-minute load average at the start: other work on the machine skews every figure. */
  load: string;
  /** 1-, 5- and 15-minute load averages at the start, as `uptime` prints them. */
  loadAverages: number[];
  node: string;
  postgres: string;
  kafka: string;
}

/**
 * Kafka does not report its release over the protocol. The broker's `inter.broker.protocol.version`
 * (e.g. `3.9-IV0`) names the release line up to Kafka 3.9; Kafka 4 dropped the setting.
 */
export async function environment(admin: Admin, pool: pg.Pool): Promise<Environment> {
  const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
  const cluster = await admin.describeCluster();
  const brokers = `${cluster.brokers.length} broker${cluster.brokers.length === 1 ? '' : 's'}`;
  let kafka = `release not reported, ${brokers}`;
  const first = cluster.brokers[0];
  if (first) {
    const described = await admin
      .describeConfigs({
        includeSynonyms: false,
        // kafkajs's CommonJS named exports miss this enum under ESM; the default export has it.
        resources: [
          {
            type: kafkajs.ConfigResourceTypes.BROKER,
            name: String(first.nodeId),
            configNames: ['inter.broker.protocol.version'],
          },
        ],
      })
      .catch(() => undefined);
    const version = described?.resources[0]?.configEntries[0]?.configValue;
    if (version) kafka = `${version} (inter.broker.protocol.version), ${brokers}`;
  }
  return {
    cores: `${availableParallelism()} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
    load: (loadavg()[0] ?? 0).toFixed(2),
    loadAverages: loadavg().map((l) => Number(l.toFixed(2))),
    node: process.version,
    postgres: rows[0]?.server_version ?? 'unknown',
    kafka,
  };
}

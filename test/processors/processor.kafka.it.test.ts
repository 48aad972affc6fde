import { Kafka, logLevel } from 'kafkajs';
import { topicSchemas } from '../../contracts/avro/schemas.js';
import { rawTopic } from '../../contracts/catalog/index.js';
import { DLQ_TOPIC } from '../../contracts/events/dead-letter.js';
import { MARKET_ASSETS, marketTopic } from '../../contracts/normalized/market.js';
import { topicDefinitions } from '../../contracts/topics.js';
import { ConfluentCodec } from '../../infra/codec/confluent-codec.js';
import { KafkaEventLog } from '../../infra/log/kafka-event-log.js';
import { migrate } from '../../infra/migrations/migrate.js';
import { isolatedSchema, services, uniqueName } from '../harness/services.js';
import { PROCESSED_APIS, processorSuite } from './processor.suite.js';

// Real Kafka and registry are shared: every topic and subject of this run carries a fresh prefix.
processorSuite('Kafka + Confluent registry, PostgreSQL 15 store', async () => {
  const prefix = `${uniqueName('proc')}.`;
  const wanted = new Set([...PROCESSED_APIS.map(rawTopic), DLQ_TOPIC, ...MARKET_ASSETS.map(marketTopic)]);
  const db = await isolatedSchema(services().postgresUrl);
  await migrate(db.pool, { schema: db.schema });
  const log = new KafkaEventLog({ brokers: services().kafkaBrokers, clientId: 'xasset-processor-it' });
  await log.ensureTopics(
    topicDefinitions()
      .filter((t) => wanted.has(t.name))
      .map((t) => ({ ...t, name: prefix + t.name })),
  );
  const codec = new ConfluentCodec(
    services().registryUrl,
    topicSchemas()
      .filter((s) => wanted.has(s.topic))
      .map((s) => ({ ...s, topic: prefix + s.topic })),
  );
  const admin = new Kafka({ brokers: services().kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return {
    pool: db.pool,
    log,
    codec,
    prefix,
    setGroupOffsets: async (group, topic, offsets) => {
      await admin.setOffsets({
        groupId: group,
        topic,
        partitions: offsets.map(({ partition, offset }) => ({ partition, offset: String(offset) })),
      });
    },
    close: async () => {
      await admin.disconnect();
      await log.close();
      await db.drop();
    },
  };
});

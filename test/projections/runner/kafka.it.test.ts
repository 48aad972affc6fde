import { controlEventSchema } from '../../../contracts/avro/schemas.js';
import { CONTROL_TOPIC } from '../../../contracts/events/control.js';
import { topicDefinitions } from '../../../contracts/topics.js';
import { ConfluentCodec } from '../../../infra/codec/confluent-codec.js';
import { KafkaEventLog } from '../../../infra/log/kafka-event-log.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { isolatedSchema, services, uniqueName } from '../../harness/services.js';
import { controlPlaneSuite } from './control-plane.suite.js';

controlPlaneSuite(
  'Kafka with the Confluent-API registry (tables on PostgreSQL 15)',
  async () => {
    // The shared broker and registry outlive this run: a topic and subject of our own, configured
    // like the control topic.
    const topic = `${uniqueName('it')}.${CONTROL_TOPIC}`;
    const control = topicDefinitions().find((t) => t.name === CONTROL_TOPIC);
    const log = new KafkaEventLog({ brokers: services().kafkaBrokers, clientId: 'xasset-projections-it' });
    await log.ensureTopics([{ ...control, name: topic, partitions: 1 }]);
    // A topic just created may not be in every metadata cache yet ("does not host this
    // topic-partition"); wait until its offsets answer before the suite appends to it.
    for (let attempt = 0; ; attempt++) {
      const end = await log.endOffsets(topic).then(
        (o) => o.get(0),
        () => undefined,
      );
      if (end === 0) break;
      if (attempt === 40) throw new Error(`topic ${topic} did not become readable`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const codec = new ConfluentCodec(services().registryUrl, [
      { file: 'control-event', topic, schema: controlEventSchema() },
    ]);
    await codec.prepare([topic]);
    const db = await isolatedSchema(services().postgresUrl);
    await migrate(db.pool, { schema: db.schema });
    return {
      log,
      codec,
      topic,
      pool: db.pool,
      schema: db.schema,
      cleanup: async () => {
        await log.close();
        await db.drop();
      },
    };
  },
  { randomEvents: 300 },
);

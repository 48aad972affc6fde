import { controlEventSchema } from '../../contracts/avro/schemas.js';
import { CONTROL_TOPIC } from '../../contracts/events/control.js';
import { topicDefinitions } from '../../contracts/topics.js';
import { ConfluentCodec } from '../../infra/codec/confluent-codec.js';
import { KafkaEventLog } from '../../infra/log/kafka-event-log.js';
import { services, uniqueName } from './services.js';

/**
 * A control log of this test's own on the shared broker and registry (they outlive the run): a
 * topic configured like the product's control topic, and its own registry subject.
 */
export async function kafkaControlLog(clientId: string) {
  const topic = `${uniqueName('ctl')}.${CONTROL_TOPIC}`;
  const control = topicDefinitions().find((t) => t.name === CONTROL_TOPIC);
  const log = new KafkaEventLog({ brokers: services().kafkaBrokers, clientId });
  // ensureTopics returns once the new topic answers offset queries.
  await log.ensureTopics([{ ...control, name: topic, partitions: 1 }]);
  const codec = new ConfluentCodec(services().registryUrl, [
    { file: 'control-event', topic, schema: controlEventSchema() },
  ]);
  await codec.prepare([topic]);
  return { log, codec, topic };
}

import { KafkaEventLog } from '../../../infra/log/kafka-event-log.js';
import { services } from '../../harness/services.js';
import { eventLogContract } from './event-log.contract.js';

// Each client is a new kafkajs connection: a group's offsets live in the broker, not in the client.
eventLogContract('kafka', async () => ({
  open: () => new KafkaEventLog({ brokers: services().kafkaBrokers, clientId: 'xasset-contract' }),
}));

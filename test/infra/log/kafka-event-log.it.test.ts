import { KafkaEventLog } from '../../../infra/log/kafka-event-log.js';
import { services } from '../../harness/services.js';
import { eventLogContract } from './event-log.contract.js';

eventLogContract('kafka', async () => {
  const logs: KafkaEventLog[] = [];
  const make = () => {
    const log = new KafkaEventLog({ brokers: services().kafkaBrokers, clientId: 'xasset-contract' });
    logs.push(log);
    return log;
  };
  return {
    log: make(),
    // A new client, as a restarted process would have: the group's offsets live in the broker.
    reopen: async () => make(),
    close: async () => {
      await Promise.all(logs.map((l) => l.close()));
    },
  };
});

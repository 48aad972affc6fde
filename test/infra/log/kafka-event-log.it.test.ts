import { KafkaEventLog } from '../../../infra/log/kafka-event-log.js';
import { PgAdvisoryLock } from '../../../infra/store/advisory-lock.js';
import { isolatedSchema, services } from '../../harness/services.js';
import { eventLogContract } from './event-log.contract.js';

// Each client is a new kafkajs connection: a group's offsets live in the broker, not in the client.
// They share the store's advisory lock, as the processes of one deployment do (app/runtime.ts).
eventLogContract('kafka', async () => {
  const db = await isolatedSchema(services().postgresUrl);
  const lock = new PgAdvisoryLock(db.pool);
  return {
    open: () =>
      new KafkaEventLog({
        brokers: services().kafkaBrokers,
        clientId: 'xasset-contract',
        appendLock: { lock, topics: [] },
      }),
    cleanup: () => db.drop(),
  };
});

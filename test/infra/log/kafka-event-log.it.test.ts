import { describe, expect, it } from 'vitest';
import type { Subscription } from '../../../infra/log/event-log.js';
import { KafkaEventLog } from '../../../infra/log/kafka-event-log.js';
import { PgAdvisoryLock } from '../../../infra/store/advisory-lock.js';
import { isolatedSchema, services, uniqueName } from '../../harness/services.js';
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

describe('a Kafka member that loses its place in the group', () => {
  it('rejoins and delivers the rest when its handler held the event loop past the session', async () => {
    // Two partitions consumed at once: the other partition's commit meets the lost membership first.
    const log = new KafkaEventLog({ brokers: services().kafkaBrokers, clientId: 'xasset-session' });
    const topic = uniqueName('session').replace('_', '.');
    const errors: unknown[] = [];
    const seen = new Set<string>();
    let subscription: Subscription | undefined;
    try {
      await log.ensureTopics([{ name: topic, partitions: 2 }]);
      const outgoing = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => ({
          key: `k${from + i}`,
          value: Buffer.from(`v${from + i}`),
          headers: {},
        }));
      await log.append(topic, outgoing(0, 20));
      let stalled = false;
      subscription = await log.subscribe({
        group: uniqueName('session-group'),
        topics: [topic],
        fromBeginning: true,
        concurrency: 2,
        onBatch: async (records) => {
          if (!stalled) {
            stalled = true;
            // Synchronous work longer than the 10 s session: no heartbeat can leave meanwhile, so
            // the coordinator drops the member, as a loaded machine did in the 1M benchmark.
            const until = Date.now() + 12_000;
            while (Date.now() < until) {}
          }
          for (const record of records) seen.add(`${record.partition}:${record.offset}`);
        },
        onError: (err) => errors.push(err),
      });
      await log.append(topic, outgoing(20, 20));
      const deadline = Date.now() + 60_000;
      while (seen.size < 40 && errors.length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      expect(errors).toEqual([]);
      expect(seen.size).toBe(40);
    } finally {
      await subscription?.stop();
      await log.close();
    }
  }, 120_000);
});

import { afterAll, describe, expect, it } from 'vitest';
import { type AppendLock, InProcessLock } from '../../../infra/log/append-lock.js';
import { KafkaEventLog } from '../../../infra/log/kafka-event-log.js';
import { PrefixedEventLog } from '../../../infra/log/prefixed-event-log.js';
import { services, uniqueName } from '../../harness/services.js';
import { eventLogContract } from './event-log.contract.js';

const kafka = (lock?: AppendLock) =>
  new KafkaEventLog({
    brokers: services().kafkaBrokers,
    clientId: 'xasset-prefixed',
    ...(lock && { appendLock: { lock, topics: [] } }),
  });

// A prefixed log is still a log: the whole contract holds through the decorator.
eventLogContract('kafka behind a topic prefix', async () => {
  const prefix = `${uniqueName('pfx')}.`;
  // Clients of one deployment share one lock (app/runtime.ts: the store's advisory lock).
  const lock = new InProcessLock();
  return { open: () => new PrefixedEventLog(kafka(lock), prefix) };
});

describe('PrefixedEventLog', () => {
  const clients: KafkaEventLog[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('keeps two deployments on one cluster apart under the same logical topic names', async () => {
    const raw = kafka();
    clients.push(raw);
    const [a, b] = [
      new PrefixedEventLog(raw, `${uniqueName('a')}.`),
      new PrefixedEventLog(raw, `${uniqueName('b')}.`),
    ];
    await a.ensureTopics([{ name: 'xasset.control.v1', partitions: 1 }]);
    await b.ensureTopics([{ name: 'xasset.control.v1', partitions: 1 }]);
    await a.append('xasset.control.v1', [{ key: 'k', value: Buffer.from('from a') }]);
    expect((await b.endOffsets('xasset.control.v1')).get(0)).toBe(0);
    const read = await a.read('xasset.control.v1', 0, 0);
    expect(read.map((r) => [r.topic, r.value.toString()])).toEqual([['xasset.control.v1', 'from a']]);
    expect(await a.listTopics()).toEqual(['xasset.control.v1']);
    expect(
      (await raw.listTopics()).filter((t) => t.endsWith('xasset.control.v1')).length,
    ).toBeGreaterThanOrEqual(2);
  });
});

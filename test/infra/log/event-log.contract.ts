import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLog, LogRecord, OutgoingRecord } from '../../../infra/log/event-log.js';
import { uniqueName } from '../../harness/services.js';

/**
 * The behaviour every EventLog adapter must share, run against each real backend. Producers,
 * processors and projections are written against these guarantees and nothing else.
 */
export interface ContractBackend {
  /** A new client of the same log, as a restarted process would open. */
  open(): EventLog;
  /** Drops whatever the backend set up (after every client is closed). */
  cleanup?(): Promise<void>;
}

export function eventLogContract(name: string, backend: () => Promise<ContractBackend>) {
  describe(`EventLog contract: ${name}`, () => {
    const clients: EventLog[] = [];
    let opened: ContractBackend;
    let log: EventLog;
    const reopen = async () => {
      const client = opened.open();
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      opened = await backend();
      log = await reopen();
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await opened?.cleanup?.();
    });

    const records = (n: number, prefix = 'k'): OutgoingRecord[] =>
      Array.from({ length: n }, (_, i) => ({
        key: `${prefix}${i % 7}`,
        value: Buffer.from(`v${i}`),
        headers: { seq: String(i), 'content-type': 'avro' },
      }));

    async function newTopic(partitions: number): Promise<string> {
      const topic = uniqueName('contract').replace('_', '.');
      await log.ensureTopics([{ name: topic, partitions, configs: { 'retention.ms': '-1' } }]);
      return topic;
    }

    it('assigns gapless increasing offsets from 0 in append order on one partition', async () => {
      const topic = await newTopic(1);
      const first = await log.append(topic, records(5));
      const second = await log.append(topic, records(3));
      expect([...first, ...second].map((a) => a.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect((await log.endOffsets(topic)).get(0)).toBe(8);
      const read = await log.read(topic, 0, 0);
      expect(read.map((r) => r.value.toString())).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v0', 'v1', 'v2']);
    });

    it('keeps keys, null keys and headers exactly', async () => {
      const topic = await newTopic(1);
      await log.append(topic, [
        { key: 'daily|000001.SZ|20260105', value: Buffer.from([0, 1, 2, 255]), headers: { 'x-run': 'r1' } },
        { key: null, value: Buffer.from('no key') },
      ]);
      const [a, b] = await log.read(topic, 0, 0);
      expect(a).toMatchObject({ key: 'daily|000001.SZ|20260105', headers: { 'x-run': 'r1' }, offset: 0 });
      expect([...(a as LogRecord).value]).toEqual([0, 1, 2, 255]);
      expect(b).toMatchObject({ key: null, offset: 1 });
      expect((b as LogRecord).timestamp).toBeGreaterThan(Date.now() - 600_000);
    });

    it('puts every record of a key on one partition, in order, and reports where each landed', async () => {
      const topic = await newTopic(3);
      const input = records(60);
      const placed = await log.append(topic, input);
      const byKey = new Map<string, Set<number>>();
      input.forEach((r, i) => {
        const set = byKey.get(r.key as string) ?? new Set();
        set.add((placed[i] as { partition: number }).partition);
        byKey.set(r.key as string, set);
      });
      for (const partitions of byKey.values()) expect(partitions.size).toBe(1);
      expect(new Set(placed.map((p) => p.partition)).size).toBeGreaterThan(1);
      for (let partition = 0; partition < 3; partition++) {
        const stored = await log.read(topic, partition, 0);
        const expected = input.filter((_, i) => placed[i]?.partition === partition);
        expect(stored.map((r) => r.headers.seq)).toEqual(expected.map((r) => r.headers?.seq));
        expect(stored.map((r) => r.offset)).toEqual(
          placed.filter((p) => p.partition === partition).map((p) => p.offset),
        );
      }
    });

    it('replays from offset 0 and from a middle offset', async () => {
      const topic = await newTopic(1);
      await log.append(topic, records(20));
      expect((await log.read(topic, 0, 0)).length).toBe(20);
      const tail = await log.read(topic, 0, 15);
      expect(tail.map((r) => r.offset)).toEqual([15, 16, 17, 18, 19]);
      expect(await log.read(topic, 0, 20)).toEqual([]);
    });

    it('resumes a consumer group after its last committed offset when it restarts', async () => {
      const topic = await newTopic(1);
      const group = uniqueName('group');
      await log.append(topic, records(10));

      const firstRun = await consume(log, { group, topic, fromBeginning: true, until: 10 });
      await waitFor(async () => (await log.committedOffsets(group, topic)).get(0) === 10);

      await log.append(topic, records(5, 'late'));
      const restarted = await reopen();
      const secondRun = await consume(restarted, { group, topic, fromBeginning: true, until: 5 });
      expect(firstRun.map((r) => r.offset)).toEqual([...Array(10).keys()]);
      expect(secondRun.map((r) => r.offset)).toEqual([10, 11, 12, 13, 14]);
      expect(secondRun.map((r) => r.key)).toEqual(['late0', 'late1', 'late2', 'late3', 'late4']);
      expect((await restarted.committedOffsets(group, topic)).get(0)).toBe(15);
    });

    it('does not commit a batch whose handler failed, so the group reads it again', async () => {
      const topic = await newTopic(1);
      const group = uniqueName('group');
      await log.append(topic, records(3));
      let failure: unknown;
      const failing = await log.subscribe({
        group,
        topics: [topic],
        fromBeginning: true,
        onBatch: async () => {
          throw new Error('poisoned handler');
        },
        onError: (err) => {
          failure = err;
        },
      });
      await waitFor(() => failure !== undefined);
      await failing.stop();
      expect((failure as Error).message).toBe('poisoned handler');
      expect((await log.committedOffsets(group, topic)).get(0)).toBeUndefined();

      const again = await consume(log, { group, topic, fromBeginning: true, until: 3 });
      expect(again.map((r) => r.offset)).toEqual([0, 1, 2]);
    });

    it('starts a new group at the end when asked not to read from the beginning', async () => {
      const topic = await newTopic(1);
      await log.append(topic, records(4));
      const seen = await consume(log, {
        group: uniqueName('group'),
        topic,
        fromBeginning: false,
        until: 1,
        // Appended only once the group is subscribed: "from the end" means the end at that moment.
        whileSubscribed: () => log.append(topic, [{ key: 'new', value: Buffer.from('after') }]),
      });
      expect(seen.map((r) => r.offset)).toEqual([4]);
    });

    it('hands a member its partitions through onAssigned before any batch; a rejection stops it unread', async () => {
      const topic = await newTopic(3);
      const group = uniqueName('group');
      await log.append(topic, records(12));
      const assignments: Array<Map<string, number[]>> = [];
      const delivered: LogRecord[] = [];
      let failure: unknown;
      const member = await log.subscribe({
        group,
        topics: [topic],
        fromBeginning: true,
        onAssigned: async (assignment) => {
          assignments.push(new Map([...assignment].map(([t, ps]) => [t, [...ps].sort()])));
          throw new Error('log went backwards');
        },
        onBatch: async (batch) => {
          delivered.push(...batch);
        },
        onError: (err) => {
          failure = err;
        },
      });
      await waitFor(() => failure !== undefined);
      await member.stop();
      expect((failure as Error).message).toBe('log went backwards');
      expect(assignments[0]).toEqual(new Map([[topic, [0, 1, 2]]]));
      expect(delivered).toEqual([]);
      expect((await log.committedOffsets(group, topic)).size).toBe(0);
    });

    it('reports where each partition starts, and moves a group to an offset it is told', async () => {
      const topic = await newTopic(1);
      const group = uniqueName('group');
      await log.append(topic, records(5));
      expect(await log.startOffsets(topic)).toEqual(new Map([[0, 0]]));
      await log.setCommittedOffsets(group, topic, new Map([[0, 3]]));
      expect(await log.committedOffsets(group, topic)).toEqual(new Map([[0, 3]]));
      const seen = await consume(log, { group, topic, fromBeginning: true, until: 2 });
      expect(seen.map((r) => r.offset)).toEqual([3, 4]);
    });

    it('appends conditionally only at the expected end; a stale condition writes nothing', async () => {
      const topic = await newTopic(1);
      await log.append(topic, records(2));
      const at = { partition: 0, nextOffset: 2 };
      const won = await log.append(topic, records(2, 'w'), { ifEndIs: at });
      expect(won.map((a) => a.offset)).toEqual([2, 3]);
      // A second writer that read the same end: refused, with where the end really is.
      await expect(log.append(topic, records(1, 'l'), { ifEndIs: at })).rejects.toMatchObject({
        code: 'XASSET_APPEND_CONFLICT',
        details: { partition: 0, expected: 2, actual: 4 },
      });
      expect((await log.endOffsets(topic)).get(0)).toBe(4);
      expect((await log.read(topic, 0, 0)).map((r) => r.key)).toEqual(['k0', 'k1', 'w0', 'w1']);
    });

    it('lets exactly one of many concurrent conditional appends on one end through', async () => {
      const topic = await newTopic(1);
      const writers = await Promise.all([reopen(), reopen(), reopen()]);
      const outcomes = await Promise.allSettled(
        [log, ...writers].map((client, i) =>
          client.append(topic, records(1, `c${i}-`), { ifEndIs: { partition: 0, nextOffset: 0 } }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const lost of outcomes.filter((o) => o.status === 'rejected'))
        expect((lost as PromiseRejectedResult).reason).toMatchObject({ code: 'XASSET_APPEND_CONFLICT' });
      expect((await log.endOffsets(topic)).get(0)).toBe(1);
    });

    it('refuses to append to a topic that does not exist', async () => {
      await expect(log.append(uniqueName('missing'), records(1))).rejects.toMatchObject({
        code: 'XASSET_EVENT_LOG',
      });
    });
  });
}

/** Subscribes as `group`, collects records until `until` have arrived, then stops the member. */
async function consume(
  log: EventLog,
  options: {
    group: string;
    topic: string;
    fromBeginning: boolean;
    until: number;
    whileSubscribed?: () => Promise<unknown>;
  },
): Promise<LogRecord[]> {
  const seen: LogRecord[] = [];
  const subscription = await log.subscribe({
    group: options.group,
    topics: [options.topic],
    fromBeginning: options.fromBeginning,
    onBatch: async (batch) => {
      seen.push(...batch);
    },
  });
  try {
    await options.whileSubscribed?.();
    await waitFor(() => seen.length >= options.until);
  } finally {
    await subscription.stop();
  }
  return seen;
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlEventSchema } from '../../../contracts/avro/schemas.js';
import { CONTROL_TOPIC } from '../../../contracts/events/control.js';
import { controlEventToWire } from '../../../contracts/events/control-wire.js';
import { topicDefinitions } from '../../../contracts/topics.js';
import { ConfluentCodec } from '../../../infra/codec/confluent-codec.js';
import { freePort } from '../../../infra/local/process.js';
import { KafkaEventLog } from '../../../infra/log/kafka-event-log.js';
import { startXasset } from '../../app/crash/xasset.js';
import { controlEvent } from '../../fixtures/control-events.js';

/** The CLI as an operator runs it, stdin not a terminal. */
const xasset = (args: string[], env: Record<string, string>) => startXasset(args, env).exited;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * `services up` / `down` on a state folder of this test's own, on free ports: what an operator's
 * machine keeps across a restart. Its own broker and registry, so stopping them hurts no other test.
 */
describe('local services keep their data across down and up', () => {
  let env: Record<string, string>;
  let stateDir: string;
  let brokers: string[];
  let registryUrl: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-stack-'));
    const [kafkaPort, registryPort] = [await freePort(), await freePort()];
    env = {
      XASSET_STATE_DIR: stateDir,
      XASSET_KAFKA_PORT: String(kafkaPort),
      XASSET_REGISTRY_PORT: String(registryPort),
    };
    brokers = [`127.0.0.1:${kafkaPort}`];
    registryUrl = `http://127.0.0.1:${registryPort}/apis/ccompat/v7`;
    const up = await xasset(['services', 'up', 'kafka', 'registry'], env);
    expect(up.code, up.stderr).toBe(0);
  });
  afterAll(async () => {
    await xasset(['services', 'down'], env);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('keeps every topic, its offsets, a group’s commits and the schema ids records refer to; only reset --yes erases them', async () => {
    const control = topicDefinitions().find((t) => t.name === CONTROL_TOPIC);
    const raw = topicDefinitions().find((t) => t.name === 'tushare.raw.daily');
    if (!control || !raw) throw new Error('topic definitions changed');
    const write = new KafkaEventLog({ brokers, clientId: 'xasset-stack-it', log: () => {} });
    const codec = new ConfluentCodec(registryUrl, [
      { file: 'control-event', topic: CONTROL_TOPIC, schema: controlEventSchema() },
    ]);
    const events = [
      controlEvent('FlagsChanged'),
      controlEvent('CursorAdvanced'),
      controlEvent('OffsetsReset'),
    ];
    try {
      await write.ensureTopics([control, raw]);
      await codec.prepare([CONTROL_TOPIC]);
      const values = await Promise.all(events.map((e) => codec.encode(CONTROL_TOPIC, controlEventToWire(e))));
      await write.append(
        CONTROL_TOPIC,
        values.map((value) => ({ key: 'k', value })),
      );
      await write.append(
        raw.name,
        Array.from({ length: 40 }, (_, i) => ({ key: `00000${i}.SZ`, value: Buffer.from(`row ${i}`) })),
      );
      await write.setCommittedOffsets('xasset-stack-group', raw.name, new Map([[0, 1]]));
    } finally {
      await write.close();
    }
    const before = await snapshot(brokers, raw.name);
    expect(before.ends.get(CONTROL_TOPIC)).toEqual(new Map([[0, events.length]]));

    const down = await xasset(['services', 'down'], env);
    expect(down.code, down.stderr).toBe(0);
    const up = await xasset(['services', 'up', 'kafka', 'registry'], env);
    expect(up.code, up.stderr).toBe(0);

    const after = await snapshot(brokers, raw.name);
    expect(after).toEqual(before);
    expect(after.controlRetention).toBe('-1');
    // A codec that never saw these records resolves their schema id from the restarted registry.
    const read = new KafkaEventLog({ brokers, clientId: 'xasset-stack-it', log: () => {} });
    try {
      const fresh = new ConfluentCodec(registryUrl, [
        { file: 'control-event', topic: CONTROL_TOPIC, schema: controlEventSchema() },
      ]);
      const records = await read.read(CONTROL_TOPIC, 0, 0);
      const decoded = await Promise.all(records.map((r) => fresh.decode(CONTROL_TOPIC, r.value)));
      expect(decoded).toEqual(events.map(controlEventToWire));
    } finally {
      await read.close();
    }

    // Not on a terminal, a reset without --yes erases nothing.
    const refused = await xasset(['services', 'reset', 'kafka', 'registry'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--yes');
    expect(await exists(join(stateDir, 'kafka-data', 'meta.properties'))).toBe(true);
    expect(await exists(join(stateDir, 'registry-data'))).toBe(true);

    const reset = await xasset(['services', 'reset', '--yes', 'kafka', 'registry'], env);
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout).stopped.sort()).toEqual(['kafka', 'registry']);
    const again = await xasset(['services', 'up', 'kafka', 'registry'], env);
    expect(again.code, again.stderr).toBe(0);
    expect((await snapshot(brokers, raw.name)).topics).toEqual([]);
    const subjects = await (await fetch(`${registryUrl}/subjects`)).json();
    expect(subjects).toEqual([]);
  }, 600_000);
});

async function snapshot(brokers: string[], committedTopic: string) {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => !t.startsWith('_')).sort();
    const ends = new Map<string, Map<number, number>>();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(topic, new Map(offsets.map((o) => [o.partition, Number(o.high)])));
    }
    const committed = topics.includes(committedTopic)
      ? await admin.fetchOffsets({ groupId: 'xasset-stack-group', topics: [committedTopic] })
      : [];
    let controlRetention: string | undefined;
    if (topics.includes(CONTROL_TOPIC)) {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: CONTROL_TOPIC }],
      });
      controlRetention = resources[0]?.configEntries.find(
        (e) => e.configName === 'retention.ms',
      )?.configValue;
    }
    return { topics, ends, committed, controlRetention };
  } finally {
    await admin.disconnect();
  }
}

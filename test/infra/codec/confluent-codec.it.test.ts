import { randomUUID } from 'node:crypto';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { type TopicSchema, topicSchemas } from '../../../contracts/avro/schemas.js';
import type { AvroRecordSchema } from '../../../contracts/avro/types.js';
import { endpoint, rawTopic } from '../../../contracts/catalog/index.js';
import { DecodeError, SchemaIncompatibleError, SchemaRegistryError } from '../../../contracts/errors.js';
import { CONTROL_TOPIC } from '../../../contracts/events/control.js';
import { controlEventToWire } from '../../../contracts/events/control-wire.js';
import { ConfluentCodec, registerSchema } from '../../../infra/codec/confluent-codec.js';
import { KafkaEventLog } from '../../../infra/log/kafka-event-log.js';
import { controlEvent } from '../../fixtures/control-events.js';
import { services, uniqueName } from '../../harness/services.js';

/** Our schemas, but published under fresh topic names so runs never share registry subjects. */
function isolatedSchemas(prefix: string) {
  return topicSchemas().map((s) => ({ ...s, topic: `${prefix}.${s.topic}` }));
}

async function subjectCompatibility(subject: string): Promise<string> {
  const response = await fetch(`${services().registryUrl}/config/${subject}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { compatibilityLevel: string }).compatibilityLevel;
}

describe('ConfluentCodec against a real Confluent-API schema registry', () => {
  const logs: KafkaEventLog[] = [];
  afterAll(async () => {
    await Promise.all(logs.map((l) => l.close()));
  });

  it('registers every topic schema under <topic>-value with BACKWARD compatibility', async () => {
    const prefix = uniqueName('reg');
    const schemas = isolatedSchemas(prefix);
    const codec = new ConfluentCodec(services().registryUrl, schemas);
    await codec.prepare(schemas.map((s) => s.topic));
    const subjects = (await (await fetch(`${services().registryUrl}/subjects`)).json()) as string[];
    for (const { topic } of schemas) expect(subjects).toContain(`${topic}-value`);
    expect(await subjectCompatibility(`${prefix}.${CONTROL_TOPIC}-value`)).toBe('BACKWARD');
  });

  it('blames the record for a bad frame, an unknown id or a bad body, and the registry for an outage', async () => {
    const schemas = isolatedSchemas(uniqueName('bad'));
    const topic = schemas[0]?.topic as string;
    const codec = new ConfluentCodec(services().registryUrl, schemas);
    const good = await codec.encode(topic, controlEventToWire(controlEvent('GateEvaluated')));
    await expect(codec.decode(topic, Buffer.from([1, 0, 0, 0, 1, 2]))).rejects.toBeInstanceOf(DecodeError);
    const unknownId = Buffer.from(good);
    unknownId.writeUInt32BE(0x7fff_fff0, 1);
    await expect(codec.decode(topic, unknownId)).rejects.toBeInstanceOf(DecodeError);
    await expect(codec.decode(topic, good.subarray(0, 7))).rejects.toBeInstanceOf(DecodeError);
    const down = new ConfluentCodec('http://127.0.0.1:1', schemas);
    const outage = await down.decode(topic, good).catch((err: unknown) => err);
    expect(outage).toBeInstanceOf(SchemaRegistryError);
    expect(outage).not.toBeInstanceOf(DecodeError);
  });

  it('frames values as magic byte 0 + schema id and reads them back', async () => {
    const schemas = isolatedSchemas(uniqueName('wire'));
    const topic = schemas[0]?.topic as string;
    const codec = new ConfluentCodec(services().registryUrl, schemas);
    const value = controlEventToWire(controlEvent('GateEvaluated'));
    const bytes = await codec.encode(topic, value);
    expect(bytes[0]).toBe(0);
    const id = bytes.readUInt32BE(1);
    const registered = await codec.registry.getLatestSchemaId(`${topic}-value`);
    expect(id).toBe(registered);
    expect(JSON.parse(JSON.stringify(await codec.decode(topic, bytes)))).toEqual(value);
  });

  it('encodes and decodes at once only what it already knows, to the same bytes and values as the awaited forms', async () => {
    const schemas = isolatedSchemas(uniqueName('now'));
    const topic = schemas[0]?.topic as string;
    const codec = new ConfluentCodec(services().registryUrl, schemas);
    const value = controlEventToWire(controlEvent('GateEvaluated'));
    // Nothing registered or read yet: the caller must wait.
    expect(codec.encodeNow(topic, value)).toBeUndefined();
    const bytes = await codec.encode(topic, value);
    expect(codec.encodeNow(topic, value)).toEqual(bytes);
    // Another process's codec has never fetched this writer schema.
    const reader = new ConfluentCodec(services().registryUrl, schemas);
    expect(reader.decodeNow(topic, bytes)).toBeUndefined();
    const decoded = await reader.decode(topic, bytes);
    expect(reader.decodeNow(topic, bytes)).toEqual(decoded);
    // A bad frame or body is the record's fault either way.
    expect(() => reader.decodeNow(topic, Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(DecodeError);
    expect(() => reader.decodeNow(topic, bytes.subarray(0, 7))).toThrow(DecodeError);
  });

  it('is refused by the registry on an incompatible change and accepted on a compatible one', async () => {
    const subject = `${uniqueName('evolve')}-value`;
    const registry = new SchemaRegistry({ host: services().registryUrl });
    const base = topicSchemas().find((s) => s.topic === 'tushare.raw.daily')?.schema as AvroRecordSchema;
    const v1 = await registerSchema(registry, subject, base);

    // A new required column without a default cannot read the events already in the topic.
    const incompatible = structuredClone(base);
    incompatible.fields.push({ name: 'adj_factor', type: 'double' });
    const refused = await registerSchema(registry, subject, incompatible).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SchemaIncompatibleError);
    expect((refused as SchemaIncompatibleError).code).toBe('XASSET_SCHEMA_INCOMPATIBLE');

    // The same column, nullable with a default, can.
    const compatible = structuredClone(base);
    compatible.fields.push({ name: 'adj_factor', type: ['null', 'double'], default: null });
    const v2 = await registerSchema(registry, subject, compatible);
    expect(v2).not.toBe(v1);
    const versions = (await (
      await fetch(`${services().registryUrl}/subjects/${subject}/versions`)
    ).json()) as number[];
    expect(versions).toEqual([1, 2]);
  });

  it('reads raw records written before the envelope had params: registered, BACKWARD, params empty', async () => {
    const schemas = isolatedSchemas(uniqueName('params'));
    const entry = schemas.find((s) => s.topic.endsWith(rawTopic('stk_mins'))) as TopicSchema;
    const [before] = entry.earlier ?? [];
    const registry = new SchemaRegistry({ host: services().registryUrl });
    // What a producer of the previous release put in the topic, under the previous schema's id.
    const oldId = await registerSchema(registry, `${entry.topic}-value`, before as AvroRecordSchema);
    const writer = avro.Type.forSchema(before as avro.Schema);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(oldId, 1);
    const old = {
      envelope: {
        run_id: 'r0',
        api_name: 'stk_mins',
        params_hash: 'h',
        page: 0,
        row_index: 0,
        fetched_at: 1,
      },
      ...Object.fromEntries(endpoint('stk_mins').fields.map((f) => [f.name, null])),
      ts_code: '600000.SH',
      close: 7.05,
    };
    const oldBytes = Buffer.concat([header, writer.toBuffer(old)]);

    // This release registers its schema as the next version of the same subject, then reads both.
    const codec = new ConfluentCodec(services().registryUrl, schemas);
    await codec.prepare([entry.topic]);
    const versions = (await (
      await fetch(`${services().registryUrl}/subjects/${entry.topic}-value/versions`)
    ).json()) as number[];
    expect(versions).toEqual([1, 2]);
    const decodedOld = (await codec.decode(entry.topic, oldBytes)) as Record<string, unknown> & {
      envelope: Record<string, unknown>;
    };
    expect(decodedOld.envelope.params).toEqual({});
    expect(decodedOld.envelope.run_id).toBe('r0');
    expect(decodedOld.close).toBe(7.05);
    const fresh = await codec.encode(entry.topic, {
      ...old,
      envelope: { ...old.envelope, params: { freq: '5min' } },
    });
    expect(fresh.readUInt32BE(1)).not.toBe(oldId);
    const decodedNew = (await codec.decode(entry.topic, fresh)) as typeof decodedOld;
    expect(decodedNew.envelope.params).toEqual({ freq: '5min' });
  });

  it('writes records that a consumer using only kafkajs and the registry client can decode', async () => {
    const prefix = uniqueName('foreign');
    const schemas = isolatedSchemas(prefix);
    const topic = `${prefix}.${CONTROL_TOPIC}`;
    const log = new KafkaEventLog({ brokers: services().kafkaBrokers, clientId: 'xasset-it' });
    logs.push(log);
    const codec = new ConfluentCodec(services().registryUrl, schemas);
    await log.ensureTopics([{ name: topic, partitions: 1 }]);
    const event = controlEvent('FlagsChanged');
    await log.append(topic, [
      {
        key: 'flags',
        value: await codec.encode(topic, controlEventToWire(event)),
        headers: { type: event.type },
      },
    ]);

    // Nothing of ours below this line: a downstream team's consumer.
    const kafka = new Kafka({
      clientId: 'foreign',
      brokers: services().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const registry = new SchemaRegistry({ host: services().registryUrl });
    const consumer = kafka.consumer({ groupId: `foreign-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const decoded = await new Promise<{ key: string; type: string; value: unknown }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 30 s')), 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve({
              key: String(message.key),
              type: String(message.headers?.type),
              value: await registry.decode(message.value as Buffer),
            });
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(decoded.key).toBe('flags');
    expect(decoded.type).toBe('FlagsChanged');
    const value = decoded.value as {
      eventId: string;
      payload: Record<string, { reason: string; flags: object }>;
    };
    expect(value.eventId).toBe(event.eventId);
    const payload = value.payload['xasset.control.FlagsChanged'];
    expect(payload?.reason).toBe('baseline');
    expect(JSON.parse(JSON.stringify(payload?.flags))).toEqual(
      event.type === 'FlagsChanged' && event.payload.flags,
    );
  });
});

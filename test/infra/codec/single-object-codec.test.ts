import { describe, expect, it } from 'vitest';
import { topicSchemas } from '../../../contracts/avro/schemas.js';
import { DecodeError, EncodeError, EventLogError } from '../../../contracts/errors.js';
import { CONTROL_TOPIC } from '../../../contracts/events/control.js';
import { controlEventToWire } from '../../../contracts/events/control-wire.js';
import { SingleObjectCodec } from '../../../infra/codec/single-object-codec.js';
import { controlEvent } from '../../fixtures/control-events.js';

const codec = new SingleObjectCodec(topicSchemas());
const value = controlEventToWire(controlEvent('RunFinished'));

describe('SingleObjectCodec', () => {
  it('frames a value as C3 01, an 8-byte fingerprint, then the Avro body, and reads it back', async () => {
    const bytes = await codec.encode(CONTROL_TOPIC, value);
    expect(bytes.subarray(0, 2).toString('hex')).toBe('c301');
    expect(JSON.parse(JSON.stringify(await codec.decode(CONTROL_TOPIC, bytes)))).toEqual(value);
  });

  it('tells topics apart by fingerprint', async () => {
    const control = await codec.encode(CONTROL_TOPIC, value);
    const dlq = await codec.encode('xasset.dlq.v1', {
      sourceTopic: 't',
      sourcePartition: 0,
      sourceOffset: 1,
      key: null,
      payloadBase64: '',
      stage: 'decode',
      errorCode: 'X',
      reason: 'r',
      failedAt: 0,
    });
    expect(control.subarray(2, 10).equals(dlq.subarray(2, 10))).toBe(false);
  });

  it('refuses bytes without the marker, an unknown fingerprint, and a truncated body', async () => {
    const bytes = await codec.encode(CONTROL_TOPIC, value);
    await expect(codec.decode(CONTROL_TOPIC, Buffer.from('{"json":true}'))).rejects.toBeInstanceOf(
      DecodeError,
    );
    const unknown = Buffer.from(bytes);
    unknown[5] = (unknown[5] ?? 0) ^ 0xff;
    await expect(codec.decode(CONTROL_TOPIC, unknown)).rejects.toMatchObject({
      code: 'XASSET_DECODE_FAILED',
    });
    await expect(codec.decode(CONTROL_TOPIC, bytes.subarray(0, 14))).rejects.toBeInstanceOf(DecodeError);
  });

  it('refuses a value that does not fit the schema, naming the path', async () => {
    const bad = { ...value, occurredAt: 'yesterday' };
    const error = await codec.encode(CONTROL_TOPIC, bad).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(EncodeError);
    expect((error as EncodeError).details.paths).toEqual(['occurredAt']);
  });

  it('refuses a topic it has no schema for', async () => {
    await expect(codec.encode('no.such.topic', {})).rejects.toBeInstanceOf(EventLogError);
  });
});

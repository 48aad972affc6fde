import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { fingerprintBytes, rabinFingerprint } from '../../../contracts/avro/fingerprint.js';
import { earlierRawSchemas } from '../../../contracts/avro/raw-schema.js';
import { controlEventSchema, topicSchemas } from '../../../contracts/avro/schemas.js';
import { endpoint, rawTopic } from '../../../contracts/catalog/index.js';
import { DecodeError, EncodeError, EventLogError } from '../../../contracts/errors.js';
import { CONTROL_PAYLOADS, CONTROL_TOPIC, type ControlEventType } from '../../../contracts/events/control.js';
import { controlEventFromWire, controlEventToWire } from '../../../contracts/events/control-wire.js';
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

  it('reads a raw record written before the envelope had params, with params at their empty default', async () => {
    const [before] = earlierRawSchemas(endpoint('stk_mins'));
    const writer = avro.Type.forSchema(before as avro.Schema);
    const old = {
      envelope: { run_id: 'r', api_name: 'stk_mins', params_hash: 'h', page: 0, row_index: 3, fetched_at: 5 },
      ...Object.fromEntries(endpoint('stk_mins').fields.map((f) => [f.name, null])),
      ts_code: '600000.SH',
    };
    const header = Buffer.concat([
      Buffer.from([0xc3, 0x01]),
      fingerprintBytes(rabinFingerprint(JSON.stringify(writer.schema()))),
    ]);
    const decoded = (await codec.decode(
      rawTopic('stk_mins'),
      Buffer.concat([header, writer.toBuffer(old)]),
    )) as {
      envelope: Record<string, unknown>;
      ts_code: string;
    };
    expect(decoded.envelope).toMatchObject({ api_name: 'stk_mins', row_index: 3, params: {} });
    expect(decoded.ts_code).toBe('600000.SH');
    // And today's records carry their params.
    const now = await codec.encode(rawTopic('stk_mins'), {
      ...old,
      envelope: { ...old.envelope, params: { freq: '1min' } },
    });
    expect(now.subarray(0, 10).equals(header)).toBe(false);
    expect(((await codec.decode(rawTopic('stk_mins'), now)) as typeof decoded).envelope.params).toEqual({
      freq: '1min',
    });
  });

  /** A RunStarted payload written with the `index`-th earlier control schema, read back now. */
  async function readOld(index: number, started: Record<string, unknown>) {
    const before = topicSchemas().find((t) => t.topic === CONTROL_TOPIC)?.earlier?.[index];
    const writer = avro.Type.forSchema(before as avro.Schema);
    const old = { ...value, payload: { 'xasset.control.RunStarted': started } };
    const header = Buffer.concat([
      Buffer.from([0xc3, 0x01]),
      fingerprintBytes(rabinFingerprint(JSON.stringify(writer.schema()))),
    ]);
    return controlEventFromWire(
      await codec.decode(CONTROL_TOPIC, Buffer.concat([header, writer.toBuffer(old)])),
    );
  }
  const payload = () => controlEvent('RunStarted').payload as Record<string, unknown>;

  it('reads a RunStarted written before runs recorded their pools, with pools null', async () => {
    const { pools: _pools, forcePhase: _forcePhase, ...started } = payload();
    const decoded = await readOld(0, started);
    expect(decoded.type).toBe('RunStarted');
    expect(decoded.payload).toEqual({ ...started, pools: null, forcePhase: null });
  });

  it('reads a RunStarted written before runs recorded a forced phase, with forcePhase null', async () => {
    const { forcePhase: _forcePhase, ...started } = payload();
    expect((await readOld(1, started)).payload).toEqual({ ...started, forcePhase: null });
  });

  /** The control event as it was when `last` was the newest event type. */
  const unionUpTo = (last: ControlEventType) => {
    const types = Object.keys(CONTROL_PAYLOADS) as ControlEventType[];
    const schema = controlEventSchema(
      Object.fromEntries(types.slice(0, types.indexOf(last) + 1).map((t) => [t, CONTROL_PAYLOADS[t]])),
    );
    const earlier = topicSchemas().find((t) => t.topic === CONTROL_TOPIC)?.earlier ?? [];
    // The codec knows old writers only through this list: the union of that time must be in it.
    expect(earlier.map((e) => JSON.stringify(e))).toContain(JSON.stringify(schema));
    return schema;
  };

  it('reads a log written before GrayStageChanged', async () => {
    const writer = avro.Type.forSchema(unionUpTo('PhaseUnfrozen') as avro.Schema);
    const header = Buffer.concat([
      Buffer.from([0xc3, 0x01]),
      fingerprintBytes(rabinFingerprint(JSON.stringify(writer.schema()))),
    ]);
    for (const type of ['AlertResolved', 'PhaseUnfrozen', 'RunStarted'] as const) {
      const event = controlEvent(type);
      const bytes = Buffer.concat([header, writer.toBuffer(controlEventToWire(event))]);
      expect(controlEventFromWire(await codec.decode(CONTROL_TOPIC, bytes))).toEqual(event);
    }
    expect(() => writer.toBuffer(controlEventToWire(controlEvent('GrayStageChanged')))).toThrow();
  });

  it("reads a log written before AlertResolved and PhaseUnfrozen, and writes those with today's schema", async () => {
    const before = unionUpTo('OffsetsReset');
    const writer = avro.Type.forSchema(before as avro.Schema);
    const header = Buffer.concat([
      Buffer.from([0xc3, 0x01]),
      fingerprintBytes(rabinFingerprint(JSON.stringify(writer.schema()))),
    ]);
    // Before, a close was an AlertRaised of severity info; such records still decode as they were.
    for (const type of ['AlertRaised', 'PhaseFrozen', 'OffsetsReset'] as const) {
      const event = controlEvent(type);
      const decoded = controlEventFromWire(
        await codec.decode(
          CONTROL_TOPIC,
          Buffer.concat([header, writer.toBuffer(controlEventToWire(event))]),
        ),
      );
      expect(decoded).toEqual(event);
    }
    // The old union has no branch for the new events; today's schema writes and reads them.
    expect(() => writer.toBuffer(controlEventToWire(controlEvent('AlertResolved')))).toThrow();
    for (const type of ['AlertResolved', 'PhaseUnfrozen'] as const) {
      const event = controlEvent(type);
      const bytes = await codec.encode(CONTROL_TOPIC, controlEventToWire(event));
      expect(bytes.subarray(0, 10).equals(header)).toBe(false);
      expect(controlEventFromWire(await codec.decode(CONTROL_TOPIC, bytes))).toEqual(event);
    }
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

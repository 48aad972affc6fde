import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { controlEventSchema } from '../../../contracts/avro/schemas.js';
import type { AvroRecordSchema } from '../../../contracts/avro/types.js';
import { ValidationError } from '../../../contracts/errors.js';
import { controlEventFromWire, controlEventToWire } from '../../../contracts/events/control-wire.js';
import { controlEvent, everyControlEvent } from '../../fixtures/control-events.js';

const type = avro.Type.forSchema(controlEventSchema() as avro.Schema);

describe('control events on the wire', () => {
  it.each(everyControlEvent().map((e) => [e.type, e] as const))('%s survives Avro and back', (_, event) => {
    const bytes = type.toBuffer(controlEventToWire(event));
    expect(controlEventFromWire(type.fromBuffer(bytes))).toEqual(event);
  });

  it('refuses a payload that breaks the event rules with a typed error naming the field', () => {
    const bad = controlEvent('RunStarted', {
      runId: 'r',
      chain: 'main',
      batch: null,
      fromDate: '2026-01-05',
      toDate: null,
      heartbeatTimeoutMs: 1,
    });
    const error = (() => {
      try {
        controlEventFromWire(controlEventToWire(bad));
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('XASSET_VALIDATION_FAILED');
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['payload.fromDate']);
  });

  it('refuses an unknown union branch', () => {
    expect(() => controlEventFromWire({ eventId: 'x', payload: { 'xasset.control.Nope': {} } })).toThrow(
      ValidationError,
    );
  });

  it('evolves BACKWARD: a reader with a new event type and a new nullable field reads old events', () => {
    const oldSchema = controlEventSchema();
    const newSchema = structuredClone(oldSchema) as AvroRecordSchema;
    const payload = newSchema.fields.find((f) => f.name === 'payload');
    const branches = payload?.type as AvroRecordSchema[];
    branches.push({ type: 'record', name: 'Future', namespace: 'xasset.control', fields: [] });
    branches[0]?.fields.push({ name: 'note', type: ['null', 'string'], default: null });
    const writer = avro.Type.forSchema(oldSchema as avro.Schema);
    const reader = avro.Type.forSchema(newSchema as avro.Schema);
    const event = controlEvent('RunStarted');
    const decoded = reader.fromBuffer(
      writer.toBuffer(controlEventToWire(event)),
      reader.createResolver(writer),
    ) as { payload: Record<string, { note: unknown }> };
    expect(decoded.payload['xasset.control.RunStarted']?.note).toBeNull();
  });
});

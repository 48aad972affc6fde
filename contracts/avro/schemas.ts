import type { z } from 'zod';
import { ENDPOINTS } from '../catalog/endpoints.js';
import { rawTopic } from '../catalog/index.js';
import { CONTROL_PAYLOADS, CONTROL_TOPIC } from '../events/control.js';
import { DeadLetter, DLQ_TOPIC } from '../events/dead-letter.js';
import {
  MINUTE_ASSETS,
  minuteBarSchema,
  minuteTopic,
  REALTIME_ASSETS,
  realtimeQuoteSchema,
  realtimeTopic,
} from '../normalized/intraday.js';
import { MARKET_ASSETS, marketBarSchema, marketTopic } from '../normalized/market.js';
import { avroFromZod, recordFromZod } from './from-zod.js';
import { earlierRawSchemas, rawSchema } from './raw-schema.js';
import type { AvroRecordSchema } from './types.js';

export const CONTROL_NAMESPACE = 'xasset.control';

/**
 * The control topic carries one record type whose payload is a union of every event, so the topic
 * has one subject and one total order, and adding an event type is a BACKWARD-compatible change
 * (a new branch at the end of the union).
 */
export function controlEventSchema(
  payloads: Readonly<Record<string, z.ZodType>> = CONTROL_PAYLOADS,
): AvroRecordSchema {
  const defined = new Set<string>();
  return {
    type: 'record',
    name: 'ControlEvent',
    namespace: CONTROL_NAMESPACE,
    doc: 'One control-plane event; the payload branch names the event type.',
    fields: [
      { name: 'eventId', type: 'string' },
      { name: 'occurredAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'actor', type: 'string' },
      {
        name: 'payload',
        type: Object.values(payloads).map((payload) => avroFromZod(payload, CONTROL_NAMESPACE, defined)),
      },
    ],
  };
}

/** The event types appended to the union since a schema, newest last (see earlierControlEventSchemas). */
const ADDED_AFTER_OFFSETS_RESET = ['AlertResolved', 'PhaseUnfrozen'];

const payloadsWithout = (types: readonly string[]): Record<string, z.ZodType> =>
  Object.fromEntries(Object.entries(CONTROL_PAYLOADS).filter(([type]) => !types.includes(type)));

/**
 * The control event as published before: first without RunStarted's pools, then without its
 * forcePhase, then without AlertResolved and PhaseUnfrozen. Events written with them are still in
 * the logs, and read into the current schema with the missing fields null. Whoever appends the
 * next event types adds the union as it is now here, so today's records stay readable.
 */
function earlierControlEventSchemas(): AvroRecordSchema[] {
  const before = payloadsWithout(ADDED_AFTER_OFFSETS_RESET);
  const runStarted = CONTROL_PAYLOADS.RunStarted;
  const v1 = runStarted.omit({ pools: true, forcePhase: true }).meta({ avroName: 'RunStarted' });
  const v2 = runStarted.omit({ forcePhase: true }).meta({ avroName: 'RunStarted' });
  return [
    ...[v1, v2].map((RunStarted) => controlEventSchema({ ...before, RunStarted })),
    controlEventSchema(before),
  ];
}

export function deadLetterSchema(): AvroRecordSchema {
  return recordFromZod(DeadLetter, 'xasset.dlq') as AvroRecordSchema;
}

export interface TopicSchema {
  /** File name under contracts/avro/schemas/ (without .avsc). */
  file: string;
  topic: string;
  schema: AvroRecordSchema;
  /**
   * Schemas the topic was written with before `schema`, each BACKWARD-compatible with it: codecs
   * that know a writer only by its fingerprint (embedded mode) need them to read old records.
   */
  earlier?: readonly AvroRecordSchema[];
}

/** Every value schema this project writes, one per topic; the generator and the codecs read this. */
export function topicSchemas(): TopicSchema[] {
  return [
    {
      file: 'control-event',
      topic: CONTROL_TOPIC,
      schema: controlEventSchema(),
      earlier: earlierControlEventSchemas(),
    },
    { file: 'dead-letter', topic: DLQ_TOPIC, schema: deadLetterSchema() },
    ...ENDPOINTS.map((endpoint) => ({
      file: `raw.${endpoint.apiName}`,
      topic: rawTopic(endpoint.apiName),
      schema: rawSchema(endpoint),
      earlier: earlierRawSchemas(endpoint),
    })),
    ...MARKET_ASSETS.map((asset) => ({
      file: `market.${asset}`,
      topic: marketTopic(asset),
      schema: marketBarSchema(asset),
    })),
    ...MINUTE_ASSETS.map((asset) => ({
      file: `market.${asset}.minute`,
      topic: minuteTopic(asset),
      schema: minuteBarSchema(asset),
    })),
    ...REALTIME_ASSETS.map((asset) => ({
      file: `market.${asset}.realtime`,
      topic: realtimeTopic(asset),
      schema: realtimeQuoteSchema(asset),
    })),
  ];
}

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

/**
 * The control event as published before: RunStarted first without its pools, then without its
 * forcePhase, and the payload union shorter by the event types appended since (from AlertRaised,
 * the last type of the first release, on). Events written with any of them are still in the logs,
 * and read into the current schema with the missing fields null; an embedded codec knows a writer
 * only by its fingerprint, so every combination is listed.
 */
function earlierControlEventSchemas(): AvroRecordSchema[] {
  const runStarted = CONTROL_PAYLOADS.RunStarted;
  const variants = [
    runStarted.omit({ pools: true, forcePhase: true }).meta({ avroName: 'RunStarted' }),
    runStarted.omit({ forcePhase: true }).meta({ avroName: 'RunStarted' }),
    runStarted,
  ];
  const types = Object.keys(CONTROL_PAYLOADS) as (keyof typeof CONTROL_PAYLOADS)[];
  const first = types.indexOf('AlertRaised') + 1;
  const out: AvroRecordSchema[] = [];
  for (let length = first; length <= types.length; length++) {
    for (const RunStarted of variants) {
      if (length === types.length && RunStarted === runStarted) continue; // the current schema
      const payloads = Object.fromEntries(
        types
          .slice(0, length)
          .map((type) => [type, type === 'RunStarted' ? RunStarted : CONTROL_PAYLOADS[type]]),
      );
      out.push(controlEventSchema(payloads));
    }
  }
  return out;
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

import { randomUUID } from 'node:crypto';
import { DecodeError, EventLogError, XassetError } from '../../contracts/errors.js';
import {
  CONTROL_TOPIC,
  type ControlEvent,
  type ControlEventType,
  type ControlPayload,
} from '../../contracts/events/control.js';
import { controlEventFromWire, controlEventToWire } from '../../contracts/events/control-wire.js';
import type { SchemaCodec } from '../../infra/codec/schema-codec.js';
import type { EventLog } from '../../infra/log/event-log.js';
import type { LoggedEvent } from '../reducers/types.js';

/**
 * The control topic as the control plane sees it: a log, the codec that frames its values, and
 * the topic name (always CONTROL_TOPIC in the product; tests on a shared Kafka give their own).
 */
export interface ControlLogPorts {
  log: EventLog;
  codec: SchemaCodec;
  topic?: string;
}

export const topicOf = (ports: ControlLogPorts): string => ports.topic ?? CONTROL_TOPIC;

/** The control topic has one partition (contracts/topics.ts): its offsets are the total order. */
const PARTITION = 0;

/** Next offset to be written; 0 for a topic nothing was appended to yet. */
export async function controlEnd(ports: ControlLogPorts): Promise<number> {
  return (await ports.log.endOffsets(topicOf(ports))).get(PARTITION) ?? 0;
}

/** A new event stamped with the caller's clock: commands take `now` so tests and replays control it. */
export function newControlEvent<T extends ControlEventType>(
  type: T,
  payload: ControlPayload<T>,
  context: { actor: string; now: number },
): ControlEvent {
  return {
    eventId: randomUUID(),
    type,
    occurredAt: context.now,
    actor: context.actor,
    payload,
  } as ControlEvent;
}

/**
 * The one way control events enter the log: framed by the codec, in order, in one append (one
 * produce request on Kafka, one transaction embedded), so a command's events land together.
 * Returns the offset of each event. With `ifEndIs`, they are appended only if the log still ends
 * there (AppendConflictError otherwise): a command decided on the state up to that offset.
 */
export async function appendControl(
  ports: ControlLogPorts,
  events: ControlEvent | readonly ControlEvent[],
  options: { ifEndIs?: number } = {},
): Promise<number[]> {
  const list = Array.isArray(events) ? events : [events as ControlEvent];
  if (list.length === 0) return [];
  const topic = topicOf(ports);
  const values = await Promise.all(list.map((event) => ports.codec.encode(topic, controlEventToWire(event))));
  const appended = await ports.log.append(
    topic,
    values.map((value, i) => ({ key: (list[i] as ControlEvent).type, value })),
    options.ifEndIs === undefined ? {} : { ifEndIs: { partition: PARTITION, nextOffset: options.ifEndIs } },
  );
  return appended.map((a) => a.offset);
}

/**
 * Reads and decodes the control log from `from` up to `until` (default: the end when called), in
 * batches. An event that does not decode stops the read: a projection that skipped it would hold
 * a state no replay can explain.
 */
export async function* readControlBatches(
  ports: ControlLogPorts,
  options: { from?: number; until?: number; batchSize?: number } = {},
): AsyncGenerator<LoggedEvent[]> {
  const topic = topicOf(ports);
  const until = options.until ?? (await controlEnd(ports));
  const batchSize = options.batchSize ?? 1_000;
  let position = options.from ?? 0;
  while (position < until) {
    // A Kafka read costs a consumer group of its own (join, fetch, leave): one read carries many
    // batches, so a projection's small transactions do not each pay for one.
    const wanted = Math.min(Math.max(batchSize, READ_CHUNK), until - position);
    const records = await ports.log.read(topic, PARTITION, position, wanted);
    if (records.length === 0) {
      throw new EventLogError(`control log ${topic} ends at ${position}, expected it to reach ${until}`, {
        topic,
        position,
        until,
      });
    }
    for (let start = 0; start < records.length; start += batchSize) {
      const batch: LoggedEvent[] = [];
      for (const record of records.slice(start, start + batchSize)) {
        if (record.offset !== position) {
          throw new EventLogError(`control log ${topic} skipped from ${position} to ${record.offset}`, {
            topic,
            position,
          });
        }
        batch.push({
          event: await decodeAt(ports, topic, record.value, record.offset),
          meta: {
            offset: record.offset,
            timestamp: record.timestamp,
          },
        });
        position++;
      }
      yield batch;
    }
  }
}

/** Events fetched from the log per read at least; decoded and yielded `batchSize` at a time. */
const READ_CHUNK = 10_000;

async function decodeAt(ports: ControlLogPorts, topic: string, value: Buffer, offset: number) {
  try {
    return controlEventFromWire(await ports.codec.decode(topic, value));
  } catch (err) {
    const why = err instanceof XassetError ? err.message : String(err);
    throw new DecodeError(
      `control event at ${topic}@${offset} cannot be read: ${why}`,
      { topic, offset },
      {
        cause: err,
      },
    );
  }
}

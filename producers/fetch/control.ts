import { randomUUID } from 'node:crypto';
import {
  CONTROL_TOPIC,
  type ControlEvent,
  type ControlEventType,
  type ControlPayload,
} from '../../contracts/events/control.js';
import { controlEventToWire } from '../../contracts/events/control-wire.js';
import type { SchemaCodec } from '../../infra/codec/schema-codec.js';
import type { Appended, EventLog } from '../../infra/log/event-log.js';

/** Appends control events: the one place producers turn a payload into an encoded log record. */
export class ControlWriter {
  readonly #log: EventLog;
  readonly #codec: SchemaCodec;
  readonly #actor: string;
  readonly topic: string;

  constructor(log: EventLog, codec: SchemaCodec, actor: string, topic: string = CONTROL_TOPIC) {
    this.#log = log;
    this.#codec = codec;
    this.#actor = actor;
    this.topic = topic;
  }

  async append<T extends ControlEventType>(type: T, payload: ControlPayload<T>): Promise<Appended> {
    const event = {
      eventId: randomUUID(),
      type,
      occurredAt: Date.now(),
      actor: this.#actor,
      payload,
    } as ControlEvent;
    const value = await this.#codec.encode(this.topic, controlEventToWire(event));
    const [placed] = await this.#log.append(this.topic, [{ key: null, value }]);
    return placed as Appended;
  }
}

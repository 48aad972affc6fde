import { CONTROL_TOPIC, type ControlEventType, type ControlPayload } from '../../contracts/events/control.js';
import type { SchemaCodec } from '../../infra/codec/schema-codec.js';
import type { Appended, EventLog } from '../../infra/log/event-log.js';
import { appendControl, newControlEvent } from '../../projections/log/control-log.js';

/** A run's control events, stamped with its actor, written through the control plane's one writer. */
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
    const event = newControlEvent(type, payload, { actor: this.#actor, now: Date.now() });
    const [offset] = await appendControl({ log: this.#log, codec: this.#codec, topic: this.topic }, event);
    // The control topic has a single partition (contracts/topics.ts).
    return { partition: 0, offset: offset as number };
  }
}

import type avro from 'avsc';
import { fingerprintBytes, rabinFingerprint } from '../../contracts/avro/fingerprint.js';
import type { TopicSchema } from '../../contracts/avro/schemas.js';
import { DecodeError, EventLogError } from '../../contracts/errors.js';
import { compile, decodeWith, encodeWith, type SchemaCodec } from './schema-codec.js';

/** Avro single-object encoding marker (spec: 0xC3 0x01). */
const MAGIC = Buffer.from([0xc3, 0x01]);
const HEADER_LENGTH = MAGIC.length + 8;

interface Entry {
  type: avro.Type;
  header: Buffer;
}

/** How to read a payload by its fingerprint: the reader type, and a resolver when an older schema wrote it. */
interface Reader {
  type: avro.Type;
  resolver?: avro.Resolver;
}

const headerOf = (type: avro.Type): Buffer =>
  Buffer.concat([MAGIC, fingerprintBytes(rabinFingerprint(JSON.stringify(type.schema())))]);

/**
 * Embedded mode: the schemas are the ones generated from contracts/, identified on the wire by
 * their CRC-64-AVRO fingerprint. A reader can always tell which schema wrote a payload, which is
 * what lets the log stay readable as schemas evolve.
 */
export class SingleObjectCodec implements SchemaCodec {
  readonly format = 'single-object' as const;
  readonly #byTopic = new Map<string, Entry>();
  readonly #byFingerprint = new Map<string, Reader>();

  constructor(schemas: readonly TopicSchema[]) {
    for (const { topic, schema, earlier = [] } of schemas) {
      const type = compile(schema);
      const header = headerOf(type);
      this.#byTopic.set(topic, { type, header });
      this.#byFingerprint.set(header.toString('hex'), { type });
      // Records written before a BACKWARD-compatible change read into today's shape (defaults filled).
      for (const old of earlier) {
        const writer = compile(old);
        this.#byFingerprint.set(headerOf(writer).toString('hex'), {
          type,
          resolver: type.createResolver(writer),
        });
      }
    }
  }

  async prepare(): Promise<void> {}

  async encode(topic: string, value: unknown): Promise<Buffer> {
    return this.encodeNow(topic, value);
  }

  /** Every schema is built in: never waits. */
  encodeNow(topic: string, value: unknown): Buffer {
    const entry = this.#byTopic.get(topic);
    if (!entry) throw new EventLogError(`no schema for topic ${topic}`, { topic });
    return Buffer.concat([entry.header, encodeWith(entry.type, topic, value)]);
  }

  async decode(topic: string, payload: Buffer): Promise<unknown> {
    return this.decodeNow(topic, payload);
  }

  decodeNow(topic: string, payload: Buffer): unknown {
    if (payload.length < HEADER_LENGTH || !payload.subarray(0, 2).equals(MAGIC)) {
      throw new DecodeError(`payload on ${topic} is not Avro single-object encoded`, { topic });
    }
    const header = payload.subarray(0, HEADER_LENGTH).toString('hex');
    const reader = this.#byFingerprint.get(header);
    if (!reader) {
      throw new DecodeError(`unknown schema fingerprint on ${topic}`, {
        topic,
        fingerprint: header.slice(4),
      });
    }
    return decodeWith(reader.type, topic, payload.subarray(HEADER_LENGTH), reader.resolver);
  }
}

import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import type { TopicSchema } from '../../contracts/avro/schemas.js';
import {
  DecodeError,
  EventLogError,
  SchemaIncompatibleError,
  SchemaRegistryError,
} from '../../contracts/errors.js';
import { compile, encodeWith, type SchemaCodec, subjectOf } from './schema-codec.js';

interface Reader {
  type: avro.Type;
  resolver?: avro.Resolver;
}

/**
 * Kafka mode: Confluent wire format (magic 0, 4-byte schema id, Avro body) through a
 * Confluent-API schema registry. Subjects follow TopicNameStrategy (`<topic>-value`) and are
 * created with BACKWARD compatibility, so a consumer on a newer schema can read every older event.
 */
export class ConfluentCodec implements SchemaCodec {
  readonly format = 'confluent' as const;
  readonly registry: SchemaRegistry;
  readonly #schemas = new Map<string, { schema: TopicSchema['schema']; type: ReturnType<typeof compile> }>();
  readonly #ids = new Map<string, Promise<number>>();
  /** The ids registered so far, for encoding without waiting on a promise per record. */
  readonly #knownIds = new Map<string, number>();
  /** Per topic and writer schema id: how to read it into this process's schema of the topic. */
  readonly #readers = new Map<string, Reader>();

  constructor(registryUrl: string, schemas: readonly TopicSchema[]) {
    this.registry = new SchemaRegistry({ host: registryUrl });
    for (const { topic, schema } of schemas) this.#schemas.set(topic, { schema, type: compile(schema) });
  }

  /**
   * One subject after another: a registry serializes writes anyway, and Apicurio's embedded H2
   * storage answers parallel registrations with lock timeouts rather than queueing them.
   */
  async prepare(topics: readonly string[]): Promise<void> {
    for (const topic of topics) await this.#idFor(topic);
  }

  async encode(topic: string, value: unknown): Promise<Buffer> {
    const now = this.encodeNow(topic, value);
    if (now) return now;
    const entry = this.#schemas.get(topic);
    if (!entry) throw new EventLogError(`no schema for topic ${topic}`, { topic });
    return framed(await this.#idFor(topic), encodeWith(entry.type, topic, value));
  }

  encodeNow(topic: string, value: unknown): Buffer | undefined {
    const id = this.#knownIds.get(topic);
    const entry = this.#schemas.get(topic);
    if (id === undefined || !entry) return undefined;
    // Our own encoder writes the Avro body (with a typed error on a bad value); the registry only
    // supplies the id for the 5-byte Confluent header.
    return framed(id, encodeWith(entry.type, topic, value));
  }

  /**
   * A bad frame, an id the registry does not know and a body that does not parse are the record's
   * fault (DecodeError: the processor dead-letters it). A registry that does not answer is not: it
   * surfaces as SchemaRegistryError and stops the consumer, so good records are never dead-lettered
   * for an outage.
   */
  async decode(topic: string, payload: Buffer): Promise<unknown> {
    const id = frameId(topic, payload);
    return read(await this.#readerFor(topic, id), topic, id, payload);
  }

  decodeNow(topic: string, payload: Buffer): unknown {
    const id = frameId(topic, payload);
    const reader = this.#readers.get(`${topic}\u0000${id}`);
    return reader ? read(reader, topic, id, payload) : undefined;
  }

  /**
   * The writer schema comes from the registry by id. Where this process knows the topic's schema,
   * records are read INTO it (Avro schema resolution), so a record written before a
   * BACKWARD-compatible change comes out in today's shape, new fields at their defaults; without
   * that, a consumer would see each record in whatever shape wrote it.
   */
  async #readerFor(topic: string, id: number): Promise<Reader> {
    const cacheKey = `${topic}\u0000${id}`;
    const known = this.#readers.get(cacheKey);
    if (known) return known;
    const writer = await this.#writerSchema(topic, id);
    const local = this.#schemas.get(topic);
    let reader: Reader = { type: writer };
    if (local && !local.type.fingerprint().equals(writer.fingerprint())) {
      try {
        reader = { type: local.type, resolver: local.type.createResolver(writer) };
      } catch (err) {
        throw new DecodeError(
          `schema id ${id} on ${topic} cannot be read into this version's schema`,
          { topic, schemaId: id },
          { cause: err },
        );
      }
    }
    this.#readers.set(cacheKey, reader);
    return reader;
  }

  async #writerSchema(topic: string, id: number): Promise<avro.Type> {
    try {
      return (await this.registry.getSchema(id)) as unknown as avro.Type;
    } catch (err) {
      if ((err as { status?: number }).status === 404) {
        throw new DecodeError(
          `schema id ${id} on ${topic} is unknown to the registry`,
          { topic, schemaId: id },
          {
            cause: err,
          },
        );
      }
      throw new SchemaRegistryError(
        `registry did not serve schema id ${id}`,
        { topic, schemaId: id },
        { cause: err },
      );
    }
  }

  /** Registration is memoized per topic: one HTTP round trip per subject per process. */
  #idFor(topic: string): Promise<number> {
    let id = this.#ids.get(topic);
    if (!id) {
      const entry = this.#schemas.get(topic);
      if (!entry) return Promise.reject(new EventLogError(`no schema for topic ${topic}`, { topic }));
      id = registerSchema(this.registry, subjectOf(topic), entry.schema);
      id.then(
        (known) => this.#knownIds.set(topic, known),
        () => this.#ids.delete(topic),
      );
      this.#ids.set(topic, id);
    }
    return id;
  }
}

function framed(id: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeUInt32BE(id, 1);
  body.copy(out, 5);
  return out;
}

function frameId(topic: string, payload: Buffer): number {
  if (payload.length < 5 || payload[0] !== 0) {
    throw new DecodeError(`payload on ${topic} is not Confluent-framed`, { topic, bytes: payload.length });
  }
  return payload.readUInt32BE(1);
}

function read(reader: Reader, topic: string, id: number, payload: Buffer): unknown {
  try {
    return reader.type.fromBuffer(payload.subarray(5), reader.resolver);
  } catch (err) {
    throw new DecodeError(
      `bad Avro body on ${topic} (schema id ${id})`,
      { topic, schemaId: id },
      { cause: err },
    );
  }
}

const REGISTER_ATTEMPTS = 4;

/** Registers `schema` under `subject` with BACKWARD compatibility; maps a refusal to a typed error. */
export async function registerSchema(
  registry: SchemaRegistry,
  subject: string,
  schema: TopicSchema['schema'],
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { id } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      );
      return id;
    } catch (err) {
      const status = (err as { status?: number }).status;
      const message = err instanceof Error ? err.message : String(err);
      if (status === 409) throw new SchemaIncompatibleError(subject, message, { cause: err });
      // A 5xx is the registry's own trouble (storage busy, restarting): worth a few more tries.
      if (status !== undefined && status >= 500 && attempt < REGISTER_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
        continue;
      }
      throw new SchemaRegistryError(
        `schema registry refused subject ${subject}: ${message}`,
        { subject, status },
        {
          cause: err,
        },
      );
    }
  }
}

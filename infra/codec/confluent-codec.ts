import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { TopicSchema } from '../../contracts/avro/schemas.js';
import {
  DecodeError,
  EventLogError,
  SchemaIncompatibleError,
  SchemaRegistryError,
} from '../../contracts/errors.js';
import { compile, encodeWith, type SchemaCodec, subjectOf } from './schema-codec.js';

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
    const entry = this.#schemas.get(topic);
    if (!entry) throw new EventLogError(`no schema for topic ${topic}`, { topic });
    // Our own encoder writes the Avro body (with a typed error on a bad value); the registry only
    // supplies the id for the 5-byte Confluent header.
    const body = encodeWith(entry.type, topic, value);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(await this.#idFor(topic), 1);
    return Buffer.concat([header, body]);
  }

  async decode(topic: string, payload: Buffer): Promise<unknown> {
    try {
      return await this.registry.decode(payload);
    } catch (err) {
      throw new DecodeError(`cannot decode Confluent-framed payload on ${topic}`, { topic }, { cause: err });
    }
  }

  /** Registration is memoized per topic: one HTTP round trip per subject per process. */
  #idFor(topic: string): Promise<number> {
    let id = this.#ids.get(topic);
    if (!id) {
      const entry = this.#schemas.get(topic);
      if (!entry) return Promise.reject(new EventLogError(`no schema for topic ${topic}`, { topic }));
      id = registerSchema(this.registry, subjectOf(topic), entry.schema);
      id.catch(() => this.#ids.delete(topic));
      this.#ids.set(topic, id);
    }
    return id;
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

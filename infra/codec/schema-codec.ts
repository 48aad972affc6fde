import avro from 'avsc';
import type { TopicSchema } from '../../contracts/avro/schemas.js';
import { DecodeError, EncodeError, SchemaIncompatibleError } from '../../contracts/errors.js';

/**
 * Turns a topic's values into bytes and back. Kafka mode speaks the Confluent wire format through
 * a schema registry; embedded mode speaks Avro single-object encoding with the fingerprints of the
 * schemas in contracts/. Both sit behind this one port so producers and processors never know.
 */
export interface SchemaCodec {
  readonly format: 'confluent' | 'single-object';
  encode(topic: string, value: unknown): Promise<Buffer>;
  decode(topic: string, payload: Buffer): Promise<unknown>;
  /**
   * The same, at once, when everything it needs is already at hand (the schema id registered, the
   * writer schema fetched); undefined otherwise, and then `encode`/`decode` will wait for it. The
   * processor calls these per record: a promise per record is a cost of its own there.
   */
  encodeNow?(topic: string, value: unknown): Buffer | undefined;
  decodeNow?(topic: string, payload: Buffer): unknown;
  /** Registers every topic's schema up front (Kafka mode); a no-op where schemas are built in. */
  prepare(topics: readonly string[]): Promise<void>;
}

export function subjectOf(topic: string): string {
  return `${topic}-value`;
}

/** avsc types are compiled once per schema; compiling on the hot path would dominate encoding. */
export function compile(schema: TopicSchema['schema']): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema);
}

export function encodeWith(type: avro.Type, topic: string, value: unknown): Buffer {
  // avsc's writers reject what does not fit the schema, so the full validation walk (which names
  // the wrong fields) only runs once encoding has failed, not on every record.
  try {
    return type.toBuffer(value);
  } catch {
    const errors: string[] = [];
    type.isValid(value, {
      errorHook: (path) => {
        if (errors.length < 5) errors.push(path.join('.') || '(root)');
      },
    });
    throw new EncodeError(`value does not match the schema of ${topic}`, { topic, paths: errors });
  }
}

export function decodeWith(type: avro.Type, topic: string, body: Buffer, resolver?: avro.Resolver): unknown {
  try {
    return type.fromBuffer(body, resolver);
  } catch (err) {
    throw new DecodeError(`bad Avro body on ${topic}`, { topic }, { cause: err });
  }
}

export { SchemaIncompatibleError };

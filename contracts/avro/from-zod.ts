import type { z } from 'zod';
import type { AvroField, AvroRecordSchema, AvroType } from './types.js';

/**
 * Derives an Avro schema from a zod schema, so each event is defined once (zod, for validation at
 * the boundary) and its wire schema follows. Only the shapes our events use are supported; anything
 * else fails loudly at generation time rather than producing a schema that silently differs.
 *
 * Naming: an object (or enum) must carry `.meta({ avroName })`; the first use defines the named
 * type, later uses refer to it by full name, as Avro requires.
 */
export interface AvroMeta {
  avroName?: string;
  /** `timestamp-millis` for epoch-millisecond integers. */
  logicalType?: 'timestamp-millis';
}

type AnyZod = z.ZodType;

function metaOf(schema: AnyZod): AvroMeta {
  return (schema.meta() ?? {}) as AvroMeta;
}

export function avroFromZod(schema: AnyZod, namespace: string, defined = new Set<string>()): AvroType {
  const def = schema.def as { type: string } & Record<string, unknown>;
  const meta = metaOf(schema);
  switch (def.type) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number': {
      const isInt =
        (schema as z.ZodNumber).format === 'safeint' || (schema as z.ZodNumber).format === 'int32';
      if (!isInt) return 'double';
      return meta.logicalType ? { type: 'long', logicalType: meta.logicalType } : 'long';
    }
    case 'bigint':
      return 'long';
    case 'nullable':
      return ['null', avroFromZod(def.innerType as AnyZod, namespace, defined)] as AvroType;
    case 'optional': {
      // Only `.nullish()`: the field defaults to null, which avsc also writes for an absent value, so
      // writers that predate the field need not name it.
      const inner = def.innerType as AnyZod;
      if ((inner.def as { type: string }).type !== 'nullable')
        throw new Error('avroFromZod: an optional field must be nullish (optional and nullable)');
      return avroFromZod(inner, namespace, defined);
    }
    case 'enum': {
      const name = requireName(meta, 'enum');
      const full = `${namespace}.${name}`;
      if (defined.has(full)) return full;
      defined.add(full);
      return { type: 'enum', name, namespace, symbols: (schema as z.ZodEnum).options.map(String) };
    }
    case 'record':
      return { type: 'map', values: avroFromZod(def.valueType as AnyZod, namespace, defined) };
    case 'array':
      return { type: 'array', items: avroFromZod(def.element as AnyZod, namespace, defined) };
    case 'object':
      return recordFromZod(schema as z.ZodObject, namespace, defined);
    case 'union': {
      const options = def.options as AnyZod[];
      return options.map((option) => avroFromZod(option, namespace, defined)) as AvroType;
    }
    default:
      throw new Error(`avroFromZod: unsupported zod type '${def.type}'`);
  }
}

export function recordFromZod(
  schema: z.ZodObject,
  namespace: string,
  defined = new Set<string>(),
): AvroRecordSchema | string {
  const name = requireName(metaOf(schema), 'object');
  const full = `${namespace}.${name}`;
  if (defined.has(full)) return full;
  defined.add(full);
  const fields: AvroField[] = Object.entries(schema.shape).map(([key, value]) => {
    const type = avroFromZod(value as AnyZod, namespace, defined);
    const field: AvroField = { name: key, type };
    const description = (value as AnyZod).description;
    if (description) field.doc = description;
    // A nullable field defaults to null so a reader with a newer schema can read older events.
    if (Array.isArray(type) && type[0] === 'null') field.default = null;
    return field;
  });
  const record: AvroRecordSchema = { type: 'record', name, namespace, fields };
  if (schema.description) record.doc = schema.description;
  return record;
}

function requireName(meta: AvroMeta, kind: string): string {
  if (!meta.avroName) throw new Error(`avroFromZod: every ${kind} needs .meta({ avroName })`);
  return meta.avroName;
}

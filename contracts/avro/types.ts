/** The slice of Avro's JSON schema language this project writes; avsc validates the rest. */
export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export type AvroType =
  | AvroPrimitive
  | string
  | AvroRecordSchema
  | AvroEnumSchema
  | { type: 'array'; items: AvroType }
  | { type: 'map'; values: AvroType }
  | { type: 'long' | 'int'; logicalType: string }
  | AvroType[];

export interface AvroField {
  name: string;
  type: AvroType;
  doc?: string;
  default?: unknown;
}

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: AvroField[];
}

export interface AvroEnumSchema {
  type: 'enum';
  name: string;
  namespace?: string;
  doc?: string;
  symbols: string[];
  default?: string;
}

import type { EndpointSpec, TushareType } from '../catalog/types.js';
import type { AvroRecordSchema, AvroType } from './types.js';

/** Namespace of every raw record; the record name is the api_name itself. */
export const RAW_NAMESPACE = 'tushare.raw';

/**
 * Tushare types map onto Avro as served: dates stay strings (Tushare's own `YYYYMMDD`) because the
 * raw log records what the API said; parsing belongs to the normalizers. Every column is nullable:
 * Tushare answers `null` for missing values in any column, key columns included, and a raw event
 * must be able to carry such a row to the dead-letter topic.
 */
const AVRO_OF: Record<TushareType, 'string' | 'double' | 'long'> = {
  str: 'string',
  date: 'string',
  datetime: 'string',
  float: 'double',
  int: 'long',
};

/** Where a raw record came from; the same for every endpoint. */
export const RAW_ENVELOPE: AvroRecordSchema = {
  type: 'record',
  name: 'RawEnvelope',
  namespace: 'xasset',
  doc: 'Provenance of one raw Tushare row.',
  fields: [
    { name: 'run_id', type: 'string', doc: 'The fetch run that produced this row.' },
    { name: 'api_name', type: 'string' },
    { name: 'params_hash', type: 'string', doc: 'sha256 of the canonical request params.' },
    { name: 'page', type: 'int', doc: 'Zero-based page of the request.' },
    { name: 'row_index', type: 'int', doc: 'Position of the row within its page.' },
    { name: 'fetched_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    {
      name: 'params',
      type: { type: 'map', values: 'string' },
      default: {},
      doc: 'The request params as strings (freq, start_date…), without limit/offset; empty on records written before it existed.',
    },
  ],
};

/**
 * The envelope as first published, before `params`. Records written with it are still in the logs:
 * the codecs read them through this schema into the current one, where `params` takes its default.
 */
const RAW_ENVELOPE_V1: AvroRecordSchema = {
  ...RAW_ENVELOPE,
  fields: RAW_ENVELOPE.fields.filter((field) => field.name !== 'params'),
};

export function rawSchema(endpoint: EndpointSpec): AvroRecordSchema {
  return rawSchemaWith(endpoint, RAW_ENVELOPE);
}

/** Earlier schemas of an endpoint's raw topic, oldest first; each reads into rawSchema BACKWARD. */
export function earlierRawSchemas(endpoint: EndpointSpec): AvroRecordSchema[] {
  return [rawSchemaWith(endpoint, RAW_ENVELOPE_V1)];
}

function rawSchemaWith(endpoint: EndpointSpec, envelope: AvroRecordSchema): AvroRecordSchema {
  return {
    type: 'record',
    name: endpoint.apiName,
    namespace: RAW_NAMESPACE,
    doc: `Raw Tushare ${endpoint.apiName} row: ${endpoint.title}.`,
    fields: [
      { name: 'envelope', type: envelope },
      ...endpoint.fields.map((field) => {
        const doc = [field.doc, field.tushareName && `Tushare column '${field.tushareName}'`].filter(Boolean);
        return {
          name: field.name,
          type: ['null', AVRO_OF[field.type]] as AvroType,
          default: null,
          ...(doc.length > 0 ? { doc: doc.join('; ') } : {}),
        };
      }),
    ],
  };
}

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { renderSchemas, SCHEMA_DIR } from '../../../contracts/avro/generate.js';
import { RAW_ENVELOPE } from '../../../contracts/avro/raw-schema.js';
import { topicSchemas } from '../../../contracts/avro/schemas.js';
import { ENDPOINTS } from '../../../contracts/catalog/endpoints.js';
import { rawTopic } from '../../../contracts/catalog/index.js';

describe('generated Avro schemas', () => {
  it('match the committed .avsc files exactly (run `npm run gen:schemas` after a catalog change)', async () => {
    const rendered = renderSchemas();
    const committed = (await readdir(SCHEMA_DIR)).filter((f) => f.endsWith('.avsc')).sort();
    expect(committed).toEqual([...rendered.keys()].sort());
    for (const [file, text] of rendered) {
      expect(await readFile(join(SCHEMA_DIR, file), 'utf8'), file).toBe(text);
    }
  });

  it('all compile with avsc', () => {
    for (const { topic, schema } of topicSchemas()) {
      expect(() => avro.Type.forSchema(schema as avro.Schema), topic).not.toThrow();
    }
  });

  it('give every endpoint one raw topic whose fields are the envelope then the catalog fields', () => {
    const byTopic = new Map(topicSchemas().map((s) => [s.topic, s.schema]));
    for (const endpoint of ENDPOINTS) {
      const schema = byTopic.get(rawTopic(endpoint.apiName));
      expect(schema, endpoint.apiName).toBeDefined();
      expect(schema?.fields.map((f) => f.name)).toEqual(['envelope', ...endpoint.fields.map((f) => f.name)]);
      expect(schema?.fields[0]?.type).toEqual(RAW_ENVELOPE);
    }
  });

  it('write raw rows whose columns are all null, as Tushare sometimes serves them', () => {
    const endpoint = ENDPOINTS.find((e) => e.apiName === 'daily');
    const schema = topicSchemas().find((s) => s.topic === 'tushare.raw.daily')?.schema;
    const type = avro.Type.forSchema(schema as avro.Schema);
    const row: Record<string, unknown> = {
      envelope: {
        run_id: 'r',
        api_name: 'daily',
        params_hash: 'h',
        page: 0,
        row_index: 0,
        fetched_at: 1,
        params: {},
      },
    };
    for (const f of endpoint?.fields ?? []) row[f.name] = null;
    expect(type.fromBuffer(type.toBuffer(row))).toEqual(row);
  });
});

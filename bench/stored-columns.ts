import { columnsOf, TABLES, type TableName } from '../contracts/normalized/tables.js';
import type { SourceRef } from '../processors/batch.js';
import type { ColumnValue } from '../processors/normalize/index.js';

/**
 * The columns a writer other than our sink must fill in a table: the contract's columns, then the
 * bookkeeping ones the table has (`content_hash`, the source offsets); `updated_at` has a default.
 */
export function storedColumns(table: TableName): string[] {
  const spec = TABLES[table];
  return [
    ...columnsOf(table).map((c) => c.name),
    ...(spec.hashed ? ['content_hash'] : []),
    ...(spec.sourced ? ['source_topic', 'source_partition', 'source_offset'] : []),
  ];
}

/** One normalized row's values in `storedColumns` order. */
export function storedValues(
  table: TableName,
  values: Readonly<Record<string, ColumnValue>>,
  source: SourceRef,
): unknown[] {
  const spec = TABLES[table];
  return [
    ...columnsOf(table).map((c) => values[c.name] ?? null),
    ...(spec.hashed ? [values.content_hash ?? null] : []),
    ...(spec.sourced ? [source.topic, source.partition, source.offset] : []),
  ];
}

const quote = (name: string) => `"${name}"`;

/** The statement a hand-written consumer runs per row: insert, or overwrite whatever is stored. */
export function upsertStatement(table: TableName): string {
  const columns = storedColumns(table);
  const key = TABLES[table].key.map((c) => c.name);
  const updates = columns.filter((c) => !key.includes(c)).map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`);
  return `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')})
    VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
    ON CONFLICT (${key.map(quote).join(', ')}) DO UPDATE SET ${[...updates, 'updated_at = now()'].join(', ')}`;
}

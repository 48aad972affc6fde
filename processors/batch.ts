import { columnsOf, TABLES, type TableName } from '../contracts/normalized/tables.js';
import { canonical } from './normalize/hash.js';
import type { TableRow } from './normalize/index.js';
import type { ColumnValue } from './normalize/values.js';

/** The raw event a row came from. */
export interface SourceRef {
  topic: string;
  partition: number;
  offset: number;
}

/** The rows normalized from one raw record. */
export interface SourcedRows {
  source: SourceRef;
  rows: readonly TableRow[];
}

/** A row ready for the sink, with the extension rows that travel with it. */
export interface PlannedRow {
  table: TableName;
  /** The primary key as one string (JSON of the key values), unique per table. */
  key: string;
  values: Readonly<Record<string, ColumnValue>>;
  /** The raw event this row's current content first came from (see planBatch). */
  source: SourceRef;
  /**
   * Write even if the stored hash equals ours: the content changed and changed back inside this
   * batch, so a record-by-record run would have rewritten the row from `source`.
   */
  force: boolean;
  dependents: readonly TableRow[];
}

export interface BatchPlan {
  /** Rows per table, one per key, in the order their keys first appeared. */
  byTable: Map<TableName, PlannedRow[]>;
  /** Rows dropped because a later record of the same batch carried the same key. */
  superseded: number;
}

export function keyOf(table: TableName, values: Readonly<Record<string, ColumnValue>>): string {
  return JSON.stringify(TABLES[table].key.map((c) => values[c.name] ?? null));
}

/** What makes two rows of a key "the same content": the hash, or every value where there is none. */
function contentOf(table: TableName, values: Readonly<Record<string, ColumnValue>>): string {
  const hash = values.content_hash;
  if (Buffer.isBuffer(hash)) return hash.toString('hex');
  return canonical(
    Object.fromEntries(columnsOf(table).map((c) => [c.name, values[c.name] ?? null])) as Record<
      string,
      string
    >,
  );
}

/**
 * Collapses a batch to one row per key, as ON CONFLICT needs (a statement may not touch a row
 * twice). The LAST row by log offset wins, so the result equals processing record by record.
 *
 * For sourced tables the row also keeps the offset a record-by-record run would leave in
 * `source_offset`: the first record of the final run of identical content. If the content changed
 * within the batch before settling, the row is forced (written even when the stored hash is equal),
 * as sequential processing would have written it twice. This keeps the stored rows independent of
 * where batch boundaries fall, so a restart after a crash converges to a clean run exactly.
 *
 * In a table with provisional rows (minute_bar), a provisional row never replaces a final one, so
 * one arriving after the final row of its key is dropped whatever its topic sorts as (realtime and
 * history topics order by name, not by time). A final row after a provisional one is never forced:
 * the provisional content either was refused by a stored final row or differs from the final hash,
 * so the plain upsert already writes exactly when a record-by-record run would.
 */
export function planBatch(records: readonly SourcedRows[]): BatchPlan {
  const ordered = [...records].sort(
    (a, b) =>
      a.source.topic.localeCompare(b.source.topic) ||
      a.source.partition - b.source.partition ||
      a.source.offset - b.source.offset,
  );
  const byTable = new Map<TableName, Map<string, PlannedRow & { content: string }>>();
  let superseded = 0;
  for (const { source, rows } of ordered) {
    let current: (PlannedRow & { content: string }) | undefined;
    for (const row of rows) {
      const spec = TABLES[row.table];
      if (spec.extends) {
        if (!current || current.table !== spec.extends.table) {
          throw new Error(`${row.table} row without its ${spec.extends.table} row`);
        }
        (current.dependents as TableRow[]).push(row);
        continue;
      }
      const table = byTable.get(row.table) ?? new Map<string, PlannedRow & { content: string }>();
      byTable.set(row.table, table);
      const key = keyOf(row.table, row.values);
      const content = contentOf(row.table, row.values);
      const previous = table.get(key);
      const provisional = spec.provisional === true && row.values.provisional === true;
      const previousProvisional = spec.provisional === true && previous?.values.provisional === true;
      if (previous) superseded += 1;
      if (previous && provisional && !previousProvisional) {
        // Planned but never stored: its extension rows, if any, go with it.
        current = {
          table: row.table,
          key,
          values: row.values,
          source,
          force: false,
          dependents: [],
          content,
        };
        continue;
      }
      const sameRun = previous !== undefined && previous.content === content;
      const finalizes = previousProvisional && !provisional;
      current = {
        table: row.table,
        key,
        values: row.values,
        source: sameRun ? previous.source : source,
        force: spec.sourced && previous !== undefined && !finalizes && (!sameRun || previous.force),
        dependents: [],
        content,
      };
      table.set(key, current);
    }
  }
  return {
    byTable: new Map(
      [...byTable].map(([table, rows]) => [
        table,
        [...rows.values()].map(({ content: _content, ...row }) => row as PlannedRow),
      ]),
    ),
    superseded,
  };
}

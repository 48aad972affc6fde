import type { TableName } from '../../contracts/normalized/tables.js';
import type { ColumnValue, RawRow } from './values.js';

/** One row for one table, values keyed by column (content_hash included where the table has one). */
export interface TableRow {
  table: TableName;
  values: Readonly<Record<string, ColumnValue>>;
}

/** Turns one raw row into table rows; throws NormalizeError (via RawRow.fail) on poison. */
export type EndpointNormalizer = (row: RawRow) => TableRow[];

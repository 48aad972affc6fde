import type { EndpointSpec, FieldSpec, TushareType } from '../../contracts/catalog/types.js';
import {
  type ColumnSpec,
  type ColumnType,
  columnsOf,
  type TableSpec,
} from '../../contracts/normalized/tables.js';
import type { ColumnValue, RawRow } from './values.js';

/** Where one column's value comes from. Unless overridden, a column takes the catalog field of its name. */
export type Source =
  | { kind: 'field'; field: string }
  | { kind: 'constant'; value: ColumnValue }
  | { kind: 'derive'; read: (row: RawRow) => ColumnValue; fields: readonly string[] };

export const field = (name: string): Source => ({ kind: 'field', field: name });
export const constant = (value: ColumnValue): Source => ({ kind: 'constant', value });
export const derive = (fields: readonly string[], read: (row: RawRow) => ColumnValue): Source => ({
  kind: 'derive',
  read,
  fields,
});

export interface ColumnPlan {
  column: ColumnSpec;
  source: Source;
}

/** How one endpoint fills one table: a source per column, checked against the catalog at load. */
export interface TablePlan {
  endpoint: EndpointSpec;
  table: TableSpec;
  columns: readonly ColumnPlan[];
  /** Catalog fields this plan reads (for "everything else goes to attributes"). */
  consumed: ReadonlySet<string>;
}

const COMPATIBLE: Record<ColumnType, readonly TushareType[]> = {
  text: ['str'],
  date: ['date'],
  timestamptz: ['datetime'],
  double: ['float', 'int'],
  boolean: [],
  jsonb: [],
};

export function fieldMap(endpoint: EndpointSpec): ReadonlyMap<string, FieldSpec> {
  return new Map(endpoint.fields.map((f) => [f.name, f]));
}

/**
 * Builds the column plan of `table` for `endpoint`. A column with no override takes the catalog
 * field of the same name, or null when the endpoint has none (nullable columns only). Mismatches
 * are programming errors and throw when the module loads, not on the first record.
 */
export function tablePlan(
  endpoint: EndpointSpec,
  table: TableSpec,
  overrides: Readonly<Record<string, Source>> = {},
): TablePlan {
  const fields = fieldMap(endpoint);
  const consumed = new Set<string>();
  const columns = columnsOf(table.name).map((column): ColumnPlan => {
    const source: Source | undefined =
      overrides[column.name] ?? (fields.has(column.name) ? field(column.name) : undefined);
    const where = `${endpoint.apiName} → ${table.name}.${column.name}`;
    if (source === undefined) {
      if (!column.nullable) throw new Error(`${where}: no source for a NOT NULL column`);
      return { column, source: constant(null) };
    }
    if (source.kind === 'field') {
      const spec = fields.get(source.field);
      if (!spec) throw new Error(`${where}: the catalog has no field ${source.field}`);
      if (!COMPATIBLE[column.type].includes(spec.type)) {
        throw new Error(`${where}: a ${spec.type} field cannot fill a ${column.type} column`);
      }
      consumed.add(source.field);
    }
    if (source.kind === 'derive') {
      for (const name of source.fields) {
        if (!fields.has(name)) throw new Error(`${where}: the catalog has no field ${name}`);
        consumed.add(name);
      }
    }
    return { column, source };
  });
  return { endpoint, table, columns, consumed };
}

function readColumn(row: RawRow, { column, source }: ColumnPlan): ColumnValue {
  switch (source.kind) {
    case 'constant':
      return source.value;
    case 'derive':
      return source.read(row);
    case 'field':
      switch (column.type) {
        case 'double':
          return row.number(source.field);
        case 'date':
          return row.date(source.field);
        default:
          return row.text(source.field);
      }
  }
}

/** One table row from one raw row; a NOT NULL column (every key column) left null is poison. */
export function readRow(plan: TablePlan, row: RawRow): Record<string, ColumnValue> {
  const values: Record<string, ColumnValue> = {};
  for (const columnPlan of plan.columns) {
    const value = readColumn(row, columnPlan);
    if (value === null && !columnPlan.column.nullable) {
      const { source } = columnPlan;
      const from = source.kind === 'field' ? ` (field ${source.field})` : '';
      row.fail(`missing ${columnPlan.column.name}${from}`, { column: columnPlan.column.name });
    }
    if (value === '' && plan.table.key.includes(columnPlan.column) && columnPlan.source.kind === 'field') {
      row.fail(`empty key column ${columnPlan.column.name}`, { column: columnPlan.column.name });
    }
    values[columnPlan.column.name] = value;
  }
  return values;
}

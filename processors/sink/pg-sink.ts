import type pg from 'pg';
import {
  type ColumnSpec,
  type ColumnType,
  columnsOf,
  TABLES,
  type TableName,
  type TableSpec,
} from '../../contracts/normalized/tables.js';
import { onRollback } from '../../infra/store/pg.js';
import { BinaryCopyEncoder, type BinaryType, copyFromStdin } from '../../infra/store/pg-copy.js';
import { type BatchPlan, keyOf, type PlannedRow } from '../batch.js';
import type { ColumnValue } from '../normalize/values.js';

type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * How rows reach the staging tables: `copy` is binary COPY FROM STDIN (PostgreSQL), `unnest` one
 * INSERT … SELECT FROM unnest(array per column) (PGlite's wire server has no COPY sub-protocol).
 */
export type Staging = 'copy' | 'unnest';

/** Per primary table: rows staged, and what the upsert did with them. */
export interface TableCounts {
  staged: number;
  inserted: number;
  revised: number;
  /** staged − inserted − revised: rows whose stored content was already equal. */
  duplicates: number;
}

export interface SinkResult {
  /** Primary tables (not extension tables). */
  counts: Map<TableName, TableCounts>;
  /** Rows inserted or updated per table, extension tables included. */
  written: Map<TableName, number>;
  /** Keys the upserts inserted (true) or revised (false), per primary table. */
  changed: Map<TableName, Map<string, boolean>>;
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  /** The next_offset the processor read before the batch; null when the row did not exist. */
  expected: number | null;
  next: number;
}

/** consumer_offset moved between read and write: another member of the group consumed the partition. */
export class OffsetMovedError extends Error {
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    super(`consumer offset of ${topic}/${partition} moved under this processor`);
  }
}

const SQL_TYPE: Record<ColumnType, BinaryType> = {
  text: 'text',
  date: 'date',
  timestamptz: 'timestamptz',
  double: 'double precision',
  boolean: 'boolean',
  jsonb: 'jsonb',
};

interface WriteColumn {
  name: string;
  sqlType: BinaryType;
  read: (row: PlannedRow | { values: Readonly<Record<string, ColumnValue>> }) => unknown;
}

/** Rows are staged with these many rows per INSERT; arrays are one parameter per column, so this
 * only bounds the size of one protocol message. */
const STAGE_CHUNK = 10_000;

const valueColumn = (column: ColumnSpec): WriteColumn => ({
  name: column.name,
  sqlType: SQL_TYPE[column.type],
  read: (row) => {
    const value = row.values[column.name] ?? null;
    return column.type === 'jsonb' && value !== null ? JSON.stringify(value) : value;
  },
});

/** Every column the sink writes for a table, bookkeeping included (updated_at is set by SQL). */
function writeColumns(spec: TableSpec): WriteColumn[] {
  const columns = columnsOf(spec.name).map(valueColumn);
  if (spec.hashed) {
    columns.push({ name: 'content_hash', sqlType: 'bytea', read: (row) => row.values.content_hash ?? null });
  }
  if (spec.sourced) {
    columns.push(
      { name: 'source_topic', sqlType: 'text', read: (row) => (row as PlannedRow).source.topic },
      { name: 'source_partition', sqlType: 'integer', read: (row) => (row as PlannedRow).source.partition },
      { name: 'source_offset', sqlType: 'bigint', read: (row) => (row as PlannedRow).source.offset },
    );
  }
  return columns;
}

const quote = (name: string) => `"${name}"`;

/**
 * A key column as the text the normalizers write, so returned keys compare equal to planned ones:
 * an instant in China time with its offset (`2023-08-25T09:30:00+08:00`), whatever the session's
 * TimeZone; other types as PostgreSQL prints them.
 */
function keyText(expression: string, column: ColumnSpec): string {
  return column.type === 'timestamptz'
    ? `to_char(${expression} AT TIME ZONE INTERVAL '+08:00', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')`
    : `${expression}::text`;
}

interface TableSql {
  columns: WriteColumn[];
  createStage: string;
  stage: string;
  copyStage: string;
  /** Upserts the ordinary staged rows, writing only changed ones. */
  upsert: string;
  /** Upserts the forced staged rows, whatever is stored. */
  upsertForced: string;
}

/**
 * SQL for one table, built once. Rows are loaded into a TEMP staging table with one
 * INSERT … SELECT FROM unnest(array per column) (one parameter per column, so no 65535-parameter
 * limit), then moved with one INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE <changed>:
 * - hashed tables: changed = the content hash differs (duplicates write nothing);
 * - tables without a hash (trade_calendar): changed = any value differs;
 * - extension tables: always written, because only rows whose parent changed are staged.
 * `xmax = 0` in RETURNING tells a fresh insert from an update of an existing row.
 */
function buildSql(spec: TableSpec): TableSql {
  const columns = writeColumns(spec);
  const stageName = `xasset_stage_${spec.name}`;
  const names = columns.map((c) => quote(c.name));
  const keyNames = spec.key.map((c) => quote(c.name));
  const updatable = columns.filter((c) => !spec.key.some((k) => k.name === c.name));
  const conditions: string[] = [];
  if (spec.hashed) conditions.push('t.content_hash IS DISTINCT FROM EXCLUDED.content_hash');
  else if (!spec.extends) {
    const values = spec.values.map((c) => quote(c.name));
    conditions.push(
      `(${values.map((v) => `t.${v}`).join(', ')}) IS DISTINCT FROM (${values.map((v) => `EXCLUDED.${v}`).join(', ')})`,
    );
  }
  // A provisional row never replaces a final one, forced or not.
  const guard = spec.provisional ? `NOT (NOT t.provisional AND EXCLUDED.provisional)` : undefined;
  const where = (forced: boolean) => {
    const all = [...(forced ? [] : conditions), ...(guard ? [guard] : [])];
    return all.length > 0 ? `WHERE ${all.join(' AND ')}` : '';
  };
  const upsertSql = (forced: boolean) => `INSERT INTO ${quote(spec.name)} AS t (${names.join(', ')})
      SELECT ${names.join(', ')} FROM ${stageName} WHERE xforce = ${forced} ORDER BY ${keyNames.join(', ')}
      ON CONFLICT (${keyNames.join(', ')}) DO UPDATE SET
        ${[...updatable.map((c) => `${quote(c.name)} = EXCLUDED.${quote(c.name)}`), 'updated_at = now()'].join(', ')}
      ${where(forced)}
      RETURNING ${spec.key.map((c) => `${keyText(`t.${quote(c.name)}`, c)} AS ${quote(c.name)}`).join(', ')}, (t.xmax = 0) AS inserted`;
  return {
    columns,
    createStage: `CREATE TEMP TABLE IF NOT EXISTS ${stageName} (${columns
      .map((c) => `${quote(c.name)} ${c.sqlType}`)
      .join(', ')}, xforce boolean NOT NULL) ON COMMIT DELETE ROWS`,
    stage: `INSERT INTO ${stageName} (${names.join(', ')}, xforce)
      SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.sqlType}[]`).join(', ')}, $${columns.length + 1}::boolean[])`,
    copyStage: `COPY ${stageName} (${names.join(', ')}, xforce) FROM STDIN (FORMAT binary)`,
    upsert: upsertSql(false),
    upsertForced: upsertSql(true),
  };
}

const SQL = new Map<TableName, TableSql>(
  (Object.keys(TABLES) as TableName[]).map((name) => [name, buildSql(TABLES[name])]),
);

function sqlOf(table: TableName): TableSql {
  const sql = SQL.get(table);
  if (!sql) throw new Error(`no sink SQL for ${table}`);
  return sql;
}

/** Temp tables live as long as their connection; remember which connections already have which. */
const staged = new WeakMap<object, Set<TableName>>();

type StagedRow = PlannedRow | { values: Readonly<Record<string, ColumnValue>>; force?: boolean };

async function stageRows(
  client: pg.ClientBase,
  table: TableName,
  rows: readonly StagedRow[],
  staging: Staging,
): Promise<void> {
  const sql = sqlOf(table);
  const known = staged.get(client) ?? new Set<TableName>();
  staged.set(client, known);
  if (!known.has(table)) {
    await client.query(sql.createStage);
    known.add(table);
    // Made inside the caller's transaction, the table goes if that transaction rolls back, even
    // after sinkBatch returned (a failed publish in the same transaction, or a failed COMMIT).
    onRollback(client, () => known.delete(table));
  }
  if (staging === 'copy') {
    await copyFromStdin(client, sql.copyStage, binaryRows(sql.columns, rows));
    return;
  }
  for (let start = 0; start < rows.length; start += STAGE_CHUNK) {
    const chunk = rows.slice(start, start + STAGE_CHUNK);
    const params: unknown[][] = sql.columns.map((column) => chunk.map((row) => column.read(row)));
    params.push(chunk.map((row) => ('force' in row ? row.force === true : false)));
    await client.query(sql.stage, params);
  }
}

function binaryRows(columns: readonly WriteColumn[], rows: readonly StagedRow[]): Buffer[] {
  const encoder = new BinaryCopyEncoder();
  const fields = columns.length + 1;
  for (const row of rows) {
    encoder.row(fields);
    for (const column of columns) encoder.field(column.sqlType, column.read(row));
    encoder.field('boolean', 'force' in row ? row.force === true : false);
  }
  return encoder.finish();
}

interface Returned {
  inserted: boolean;
  [key: string]: unknown;
}

async function upsertStaged(client: Queryable, table: TableName, force: boolean): Promise<Returned[]> {
  const sql = sqlOf(table);
  const { rows } = await client.query<Returned>(force ? sql.upsertForced : sql.upsert);
  return rows;
}

function returnedKey(table: TableName, row: Returned): string {
  return JSON.stringify(TABLES[table].key.map((c) => row[c.name] ?? null));
}

/**
 * Writes one planned batch and the consumer offsets it consumed, inside the caller's transaction.
 * Primary rows are upserted set-wise per table; the extension rows of every inserted or revised
 * parent follow; then each partition's next_offset is compare-and-set, so two members of a group
 * that read the same records cannot both commit them (the loser's transaction fails and rolls back).
 * Run it inside withTransaction, whose rollback hook forgets the staging tables a rollback drops.
 */
export async function sinkBatch(
  client: pg.ClientBase,
  plan: BatchPlan,
  offsets: { consumer: string; commits: readonly OffsetCommit[]; staging?: Staging },
): Promise<SinkResult> {
  const staging = offsets.staging ?? 'unnest';
  const result: SinkResult = { counts: new Map(), written: new Map(), changed: new Map() };
  for (const [table, rows] of plan.byTable) {
    if (rows.length === 0) continue;
    await stageRows(client, table, rows, staging);
    const returned = [
      ...(await upsertStaged(client, table, false)),
      ...(rows.some((r) => r.force) ? await upsertStaged(client, table, true) : []),
    ];
    const changed = new Map(returned.map((r) => [returnedKey(table, r), r.inserted === true]));
    const inserted = returned.filter((r) => r.inserted === true).length;
    result.changed.set(table, changed);
    result.counts.set(table, {
      staged: rows.length,
      inserted,
      revised: returned.length - inserted,
      duplicates: rows.length - returned.length,
    });
    result.written.set(table, returned.length);

    const dependents = new Map<TableName, { values: Readonly<Record<string, ColumnValue>> }[]>();
    for (const row of rows) {
      if (!changed.has(row.key)) continue;
      for (const dependent of row.dependents) {
        const list = dependents.get(dependent.table) ?? [];
        list.push(dependent);
        dependents.set(dependent.table, list);
      }
    }
    for (const [extTable, extRows] of dependents) {
      await stageRows(client, extTable, extRows, staging);
      const written = await upsertStaged(client, extTable, false);
      result.written.set(extTable, (result.written.get(extTable) ?? 0) + written.length);
    }
  }
  for (const commit of offsets.commits) {
    const { rowCount } = await client.query(
      `INSERT INTO consumer_offset (consumer, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
       WHERE consumer_offset.next_offset = $5`,
      [offsets.consumer, commit.topic, commit.partition, commit.next, commit.expected ?? -1],
    );
    if (rowCount !== 1) throw new OffsetMovedError(commit.topic, commit.partition);
  }
  return result;
}

/** What an upsert will do with a row: a new key, changed content, or a provisional row made final. */
export type Change = 'insert' | 'revision' | 'finalize';

/**
 * Which of `rows` an upsert would insert, revise or finalize right now: key absent, hash different,
 * or forced, minus a provisional row over a final one. Read before the write transaction, so the
 * normalized topics can be appended before the commit even where the log shares the database's
 * single connection (PGlite); sinkBatch's result is then checked against it.
 */
export async function predictChanges(
  db: Queryable,
  table: TableName,
  rows: readonly PlannedRow[],
): Promise<Map<string, Change>> {
  const spec = TABLES[table];
  if (!spec.hashed) throw new Error(`predictChanges needs a hashed table, not ${table}`);
  const out = new Map<string, Change>();
  if (rows.length === 0) return out;
  const keys = spec.key;
  const params: unknown[] = [
    ...keys.map((c) => rows.map((r) => r.values[c.name] ?? null)),
    rows.map((r) => r.values.content_hash ?? null),
    rows.map((r) => r.force),
    rows.map((r) => r.values.provisional === true),
  ];
  const n = keys.length;
  const provisional = spec.provisional === true;
  // One primary-key probe per row, whatever the table's statistics say. As a plain join, a table
  // never analyzed (autovacuum off, or behind a fast load) got minute_bar_day_idx with trade_time
  // as a filter: every probe scanned all bars of its code, and each batch cost more than the last
  // (4.5 s against 0.1 s for 5,000 keys at 600k bars). LIMIT 1 keeps the lookup from being
  // flattened back into a join the planner may cost wrongly.
  const { rows: found } = await db.query<{ i: string; missing: boolean; was_provisional: boolean | null }>(
    `SELECT u.i, t.content_hash IS NULL AS missing, ${provisional ? 't.provisional' : 'NULL::boolean'} AS was_provisional
     FROM unnest(${keys.map((c, i) => `$${i + 1}::${SQL_TYPE[c.type]}[]`).join(', ')}, $${n + 1}::bytea[], $${n + 2}::boolean[], $${n + 3}::boolean[])
       WITH ORDINALITY AS u(${keys.map((_, i) => `k${i}`).join(', ')}, h, f, p, i)
     LEFT JOIN LATERAL (
       SELECT content_hash${provisional ? ', provisional' : ''} FROM ${quote(table)}
       WHERE ${keys.map((c, i) => `${quote(c.name)} = u.k${i}`).join(' AND ')} LIMIT 1
     ) t ON true
     WHERE (u.f OR t.content_hash IS DISTINCT FROM u.h)
       ${provisional ? 'AND NOT (t.provisional IS FALSE AND u.p)' : ''}`,
    params,
  );
  for (const { i, missing, was_provisional } of found) {
    const row = rows[Number(i) - 1];
    if (!row) continue;
    const change: Change = missing
      ? 'insert'
      : was_provisional === true && row.values.provisional === false
        ? 'finalize'
        : 'revision';
    out.set(keyOf(table, row.values), change);
  }
  return out;
}

/** The consumer's stored next offsets for some topics, per `topic\u0000partition`. */
export async function readConsumerOffsets(
  db: Queryable,
  consumer: string,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const { rows } = await db.query<{ topic: string; partition: number; next_offset: string | number }>(
    'SELECT topic, partition, next_offset FROM consumer_offset WHERE consumer = $1 AND topic = ANY($2::text[])',
    [consumer, topics],
  );
  return new Map(rows.map((r) => [`${r.topic}\u0000${r.partition}`, Number(r.next_offset)]));
}

/**
 * Collects statistics for a table the database has never analyzed. Without them the planner
 * cannot tell a secondary index from the primary key for the prediction read: with 20,000 daily
 * bars, market_bar_date_idx (trade_date, asset_class) took 0.8 s for 5,000 keys, scanning every bar
 * of the day per key, against 17 ms by the key. Autovacuum analyzes a table soon after it fills;
 * a store where it is off (this project's development machines) would otherwise never be.
 * Statistics from the first batches are enough: they say ts_code has many values and trade_date
 * few, which keeps the key ahead as the table grows. Returns whether it analyzed.
 */
export async function analyzeIfNeverAnalyzed(db: Queryable, table: TableName): Promise<boolean> {
  // reltuples is -1 until a table's first VACUUM or ANALYZE (PostgreSQL 14 on).
  const { rows } = await db.query<{ never: boolean }>(
    'SELECT reltuples < 0 AS never FROM pg_class WHERE oid = to_regclass($1)',
    [quote(table)],
  );
  if (rows[0]?.never !== true) return false;
  await db.query(`ANALYZE ${quote(table)}`);
  return true;
}

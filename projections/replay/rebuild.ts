import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { migrate } from '../../infra/migrations/migrate.js';
import type { ControlLogPorts } from '../log/control-log.js';
import { PROJECTION_NAMES, type ProjectionName } from '../reducers/control.js';
import { type CatchUpReport, ProjectionRunner } from '../runner/runner.js';
import { qualified, type Row, TABLES } from '../store/tables.js';

export interface RebuildOptions extends ControlLogPorts {
  /** A pool on the database of the live tables; the rebuild gets its own schema there. */
  pool: Pool;
  projections?: readonly ProjectionName[];
  /** Fold the log up to this offset (exclusive); its end by default. */
  until?: number;
  /** The fresh schema to create; `replay_<random>` by default. It must not exist yet. */
  schema?: string;
  batchSize?: number;
}

export interface Rebuilt {
  schema: string;
  report: CatchUpReport;
}

/**
 * Rebuilds projections from offset 0 into fresh tables: a new schema, migrated like any store,
 * folded by an ordinary runner that never raises alerts. The live tables are not touched.
 */
export async function rebuildProjections(options: RebuildOptions): Promise<Rebuilt> {
  const schema = await createReplaySchema(options.pool, options.schema);
  const runner = new ProjectionRunner({ ...options, schema });
  const report = await runner.catchUp({ until: options.until });
  return { schema, report };
}

/** A new schema holding the store's tables, empty: `replay_<random>` unless named. */
export async function createReplaySchema(pool: Pool, name?: string): Promise<string> {
  const schema = name ?? `replay_${randomBytes(6).toString('hex')}`;
  qualified('x', schema);
  await pool.query(`CREATE SCHEMA "${schema}"`);
  try {
    await migrateSchema(pool, schema);
  } catch (err) {
    await dropSchema(pool, schema).catch(() => {});
    throw err;
  }
  return schema;
}

/**
 * Runs the migrations into `schema` on a connection borrowed from the live pool, then puts that
 * connection's search path back: `migrate` points the session it uses at the schema it migrates,
 * and a pooled session must not keep that. (A second pool would do, but PGlite serves one session.)
 */
async function migrateSchema(pool: Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  const release = client.release;
  const { rows } = await client.query<{ path: string }>("SELECT current_setting('search_path') AS path");
  try {
    client.release = () => {};
    await migrate({ connect: async () => client } as unknown as Pool, { schema });
  } finally {
    client.release = release;
    await client.query("SELECT set_config('search_path', $1, false)", [rows[0]?.path ?? 'public']);
    client.release();
  }
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  qualified('x', schema);
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

export interface RowDiff {
  /** The row's primary key, as text. */
  key: string;
  /** The row as JSON on each side; null where the row is missing. */
  live: Row | null;
  replay: Row | null;
}

export interface TableDiff {
  projection: ProjectionName;
  table: string;
  rows: RowDiff[];
}

export interface ProjectionDiff {
  equal: boolean;
  /** Only the tables that differ. */
  tables: TableDiff[];
}

/**
 * Compares projection tables of two schemas of one database row by row (as jsonb, so equal values
 * compare equal whatever their text form), listing up to `limit` differing rows per table.
 */
export async function compareProjections(
  pool: Pool,
  options: { replay: string; live?: string; projections?: readonly ProjectionName[]; limit?: number },
): Promise<ProjectionDiff> {
  const live = options.live ?? (await currentSchema(pool));
  const tables: TableDiff[] = [];
  for (const projection of options.projections ?? PROJECTION_NAMES) {
    const spec = TABLES[projection];
    const side = (schema: string) =>
      `SELECT "${spec.key}"::text AS k, to_jsonb(t) AS r FROM ${qualified(spec.table, schema)} t`;
    const { rows } = await pool.query<{ key: string; live: Row | null; replay: Row | null }>(
      `SELECT coalesce(l.k, p.k) AS key, l.r AS live, p.r AS replay
       FROM (${side(live)}) l FULL JOIN (${side(options.replay)}) p ON l.k = p.k
       WHERE l.r IS DISTINCT FROM p.r ORDER BY 1 LIMIT $1`,
      [options.limit ?? 100],
    );
    if (rows.length > 0) tables.push({ projection, table: spec.table, rows });
  }
  return { equal: tables.length === 0, tables };
}

async function currentSchema(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ schema: string }>('SELECT current_schema() AS schema');
  return rows[0]?.schema ?? 'public';
}

export interface VerifyOptions extends ControlLogPorts {
  pool: Pool;
  projections?: readonly ProjectionName[];
  /** Keep the replay schema for inspection instead of dropping it. */
  keep?: boolean;
  batchSize?: number;
}

export interface Verified extends ProjectionDiff {
  /** The live checkpoints the rebuild was taken to. */
  checkpoints: Record<string, number>;
  /** Set when `keep`. */
  schema: string | null;
}

/**
 * Rebuilds the chosen projections from 0 up to their live checkpoints into a fresh schema and
 * compares: a live table that is not what its log folds to shows up as differing rows.
 */
export async function verifyProjections(options: VerifyOptions): Promise<Verified> {
  const names = options.projections ?? PROJECTION_NAMES;
  const { rows } = await options.pool.query<{ projection: string; next_offset: number }>(
    'SELECT projection, next_offset FROM projection_checkpoint WHERE projection = ANY($1::text[])',
    [names],
  );
  const checkpoints = Object.fromEntries(names.map((n) => [n, 0])) as Record<string, number>;
  for (const row of rows) checkpoints[row.projection] = Number(row.next_offset);
  const groups = new Map<number, ProjectionName[]>();
  for (const name of names) {
    const until = checkpoints[name] ?? 0;
    groups.set(until, [...(groups.get(until) ?? []), name]);
  }

  const schema = await createReplaySchema(options.pool);
  try {
    for (const [until, projections] of groups) {
      await new ProjectionRunner({ ...options, schema, projections }).catchUp({ until });
    }
    const diff = await compareProjections(options.pool, { replay: schema, projections: names });
    return { ...diff, checkpoints, schema: options.keep ? schema : null };
  } finally {
    if (!options.keep) await dropSchema(options.pool, schema);
  }
}

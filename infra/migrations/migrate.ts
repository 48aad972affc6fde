import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool, PoolClient } from 'pg';
import { MigrationError } from '../../contracts/errors.js';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'sql');

/** Arbitrary but fixed: every migrator of this project serializes on the same advisory lock. */
const MIGRATION_LOCK = 0x7853_6574;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
  storageMode: StorageMode;
  /** The minute_bar compression policy: in place, turned off, or why the store cannot have one. */
  minuteCompression: MinuteCompression;
}

export type MinuteCompression =
  | { status: 'policy'; afterDays: number }
  | { status: 'off' }
  | { status: 'unsupported'; reason: string };

export type StorageMode = 'timescaledb' | 'postgresql';

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(dir, file), 'utf8');
      return {
        version: Number.parseInt(file.slice(0, 3), 10),
        name: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

/**
 * Applies pending migrations in order, each in its own transaction with its record, under an
 * advisory lock so two processes starting at once do not race. A migration edited after it was
 * applied is refused: the database would no longer match what the file says.
 */
export async function migrate(
  pool: Pool,
  options: {
    schema: string;
    log?: (line: string) => void;
    dir?: string;
    /** Compress minute_bar chunks older than this (TimescaleDB only); 0 or absent: no policy. */
    minuteCompressAfterDays?: number;
  },
): Promise<MigrationReport> {
  const migrations = await loadMigrations(options.dir);
  const client = await pool.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    await client.query(`SET search_path TO "${options.schema}", public`);
    await enableTimescale(client, options.log);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version     integer PRIMARY KEY,
      name        text NOT NULL,
      checksum    text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`);
    const report: MigrationReport = {
      applied: [],
      alreadyApplied: 0,
      storageMode: 'postgresql',
      minuteCompression: { status: 'off' },
    };
    for (const migration of migrations) {
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        const { rows } = await client.query<{ checksum: string }>(
          'SELECT checksum FROM schema_migrations WHERE version = $1',
          [migration.version],
        );
        const recorded = rows[0];
        if (recorded) {
          await client.query('COMMIT');
          if (recorded.checksum !== migration.checksum) {
            throw new MigrationError(migration.name, {
              cause: new Error('the file changed after it was applied; add a new migration instead'),
            });
          }
          report.alreadyApplied++;
          continue;
        }
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
        report.applied.push(migration.name);
        options.log?.(`applied ${migration.name}`);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err instanceof MigrationError ? err : new MigrationError(migration.name, { cause: err });
      }
    }
    report.storageMode = await storageMode(client);
    report.minuteCompression = await setMinuteCompression(client, options.minuteCompressAfterDays ?? 0);
    return report;
  } finally {
    client.release();
  }
}

/**
 * Installs TimescaleDB when the server offers it. On a server without it (or without the rights
 * to create it) the store still works as plain tables, so this never fails the migration.
 */
async function enableTimescale(client: PoolClient, log?: (line: string) => void): Promise<void> {
  const { rows } = await client.query<{ installed: string | null }>(
    "SELECT installed_version AS installed FROM pg_available_extensions WHERE name = 'timescaledb'",
  );
  const available = rows[0];
  if (!available || available.installed) return;
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb WITH SCHEMA public');
  } catch (err) {
    log?.(
      `timescaledb is available but could not be enabled (${(err as Error).message}); using plain tables`,
    );
  }
}

/**
 * Minute bars are about 240 times the daily rows: chunks past the age users still revise are
 * compressed (TimescaleDB's columnstore, segmented per instrument and frequency, ordered by time;
 * TimescaleDB still accepts upserts into them). Re-applied on every start so a changed age takes
 * effect. Plain PostgreSQL has no hypertables, so no compression; PGlite's TimescaleDB accepts the
 * policy but runs no background workers, so there it only compresses when the job is run by hand.
 */
async function setMinuteCompression(client: PoolClient, afterDays: number): Promise<MinuteCompression> {
  if (!(await listHypertables(client)).includes('minute_bar')) {
    return afterDays > 0
      ? { status: 'unsupported', reason: 'minute_bar is not a hypertable (no TimescaleDB)' }
      : { status: 'off' };
  }
  try {
    await client.query('BEGIN');
    await client.query("SELECT remove_compression_policy('minute_bar', if_exists => true)");
    if (afterDays > 0) {
      await client.query(`ALTER TABLE minute_bar SET (
        timescaledb.compress,
        timescaledb.compress_segmentby = 'asset_class, ts_code, freq',
        timescaledb.compress_orderby = 'trade_time')`);
      await client.query('SELECT add_compression_policy($1::regclass, compress_after => $2::interval)', [
        'minute_bar',
        `${afterDays} days`,
      ]);
    }
    await client.query('COMMIT');
    return afterDays > 0 ? { status: 'policy', afterDays } : { status: 'off' };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    return { status: 'unsupported', reason: (err as Error).message };
  }
}

export async function storageMode(client: Pick<PoolClient, 'query'>): Promise<StorageMode> {
  return storageModeOf(await listHypertables(client));
}

/** Hypertables present means TimescaleDB is doing the storage; none means plain PostgreSQL. */
export function storageModeOf(hypertables: readonly string[]): StorageMode {
  return hypertables.length > 0 ? 'timescaledb' : 'postgresql';
}

/** Hypertables of the current schema; empty on plain PostgreSQL. */
export async function listHypertables(client: Pick<PoolClient, 'query'>): Promise<string[]> {
  const { rows: ext } = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  if (ext.length === 0) return [];
  const { rows } = await client.query<{ hypertable_name: string }>(
    `SELECT hypertable_name FROM timescaledb_information.hypertables
     WHERE hypertable_schema = current_schema() ORDER BY hypertable_name`,
  );
  return rows.map((r) => r.hypertable_name);
}

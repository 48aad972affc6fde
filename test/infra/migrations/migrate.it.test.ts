import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationError } from '../../../contracts/errors.js';
import {
  listHypertables,
  loadMigrations,
  MIGRATIONS_DIR,
  migrate,
} from '../../../infra/migrations/migrate.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';

const TIME_SERIES = [
  'adj_factor',
  'daily_basic',
  'fut_holding',
  'fut_wsr',
  'futures_bar_ext',
  'fx_bar_ext',
  'market_bar',
  'minute_bar',
  'moneyflow',
  'realtime_quote',
  'spot_sge_bar_ext',
  'stk_premarket',
];

const EXPECTED_TABLES = [
  'alert',
  'consumer_offset',
  'cursor_state',
  'event_log',
  'event_log_group_offset',
  'event_log_partition',
  'event_log_topic',
  'flags_history',
  'gate_evaluation',
  'gray_stage',
  'gray_stage_history',
  'ingest_runs',
  'instrument',
  'macro_observation',
  'permission_probe',
  'phase_state',
  'phase_history',
  'probe_history',
  'projection_checkpoint',
  'publication_revision',
  'schema_migrations',
  'suspension',
  'trade_calendar',
  'tushare_budget',
  'tushare_call',
  ...TIME_SERIES,
].sort();

async function tablesOf(db: IsolatedDatabase): Promise<string[]> {
  const { rows } = await db.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
    [db.schema],
  );
  return rows.map((r) => r.table_name);
}

let db: IsolatedDatabase | undefined;
afterEach(async () => {
  await db?.drop();
  db = undefined;
});

describe('migrations', () => {
  it('on PostgreSQL 15: create every table as a plain table, and a second run is a no-op', async () => {
    db = await isolatedSchema(services().postgresUrl);
    const first = await migrate(db.pool, { schema: db.schema });
    const all = await loadMigrations();
    expect(first.applied).toEqual(all.map((m) => m.name));
    expect(first.storageMode).toBe('postgresql');
    expect(await tablesOf(db)).toEqual(EXPECTED_TABLES);
    expect(await listHypertables(db.pool)).toEqual([]);

    const second = await migrate(db.pool, { schema: db.schema });
    expect(second).toEqual({
      applied: [],
      alreadyApplied: all.length,
      storageMode: 'postgresql',
      minuteCompression: { status: 'off' },
    });
    const asked = await migrate(db.pool, { schema: db.schema, minuteCompressAfterDays: 30 });
    expect(asked.minuteCompression).toEqual({
      status: 'unsupported',
      reason: 'minute_bar is not a hypertable (no TimescaleDB)',
    });
  });

  it('on PGlite with TimescaleDB: compress minute_bar chunks past the configured age, still upsertable', async () => {
    db = await isolatedSchema(services().timescaleUrl, { poolSize: 1 });
    const first = await migrate(db.pool, { schema: db.schema, minuteCompressAfterDays: 30 });
    expect(first.minuteCompression).toEqual({ status: 'policy', afterDays: 30 });
    const jobs = async () =>
      (
        await db!.pool.query<{ job_id: number; compress_after: string }>(
          `SELECT job_id, config->>'compress_after' AS compress_after FROM timescaledb_information.jobs
           WHERE hypertable_schema = $1 AND hypertable_name = 'minute_bar' AND proc_name = 'policy_compression'`,
          [db!.schema],
        )
      ).rows;
    expect((await jobs()).map((j) => j.compress_after)).toEqual(['30 days']);
    // A changed age replaces the policy instead of adding a second one.
    await migrate(db.pool, { schema: db.schema, minuteCompressAfterDays: 7 });
    const [job] = await jobs();
    expect((await jobs()).map((j) => j.compress_after)).toEqual(['7 days']);

    const upsert = `INSERT INTO minute_bar (asset_class, ts_code, freq, trade_time, trade_date, close, provisional, content_hash,
        source_topic, source_partition, source_offset)
      VALUES ('stock', '600000.SH', '1min', '2023-08-25T09:31:00+08:00', '2023-08-25', $1, false, $2, 'tushare.raw.stk_mins', 0, 1)
      ON CONFLICT (asset_class, ts_code, freq, trade_time) DO UPDATE SET close = EXCLUDED.close, content_hash = EXCLUDED.content_hash
      WHERE minute_bar.content_hash IS DISTINCT FROM EXCLUDED.content_hash`;
    await db.pool.query(upsert, [7.0, Buffer.from('a')]);
    // PGlite runs no background workers: run the policy's job by hand.
    await db.pool.query(`CALL run_job($1)`, [job?.job_id]);
    const { rows: chunks } = await db.pool.query<{ is_compressed: boolean }>(
      `SELECT is_compressed FROM timescaledb_information.chunks WHERE hypertable_schema = $1 AND hypertable_name = 'minute_bar'`,
      [db.schema],
    );
    expect(chunks).toEqual([{ is_compressed: true }]);
    const revised = await db.pool.query(upsert, [7.01, Buffer.from('b')]);
    expect(revised.rowCount).toBe(1);
    expect((await db.pool.query('SELECT close FROM minute_bar')).rows).toEqual([{ close: 7.01 }]);
  });

  it('on PGlite with TimescaleDB: the time-series tables become hypertables, and a rerun is a no-op', async () => {
    db = await isolatedSchema(services().timescaleUrl, { poolSize: 1 });
    const first = await migrate(db.pool, { schema: db.schema });
    expect(first.storageMode).toBe('timescaledb');
    expect(await listHypertables(db.pool)).toEqual(TIME_SERIES);
    expect(await tablesOf(db)).toEqual(EXPECTED_TABLES);
    const second = await migrate(db.pool, { schema: db.schema });
    expect(second.applied).toEqual([]);
    expect(await listHypertables(db.pool)).toEqual(TIME_SERIES);
  });

  it('enforce natural keys: an upsert on market_bar keeps one row per (asset_class, ts_code, trade_date)', async () => {
    db = await isolatedSchema(services().timescaleUrl, { poolSize: 1 });
    await migrate(db.pool, { schema: db.schema });
    const upsert = `INSERT INTO market_bar (asset_class, ts_code, trade_date, close, content_hash, source_topic, source_partition, source_offset)
      VALUES ('stock', '000001.SZ', '2026-01-05', $1, $2, 't', 0, $3)
      ON CONFLICT (asset_class, ts_code, trade_date) DO UPDATE SET close = EXCLUDED.close, content_hash = EXCLUDED.content_hash
      WHERE market_bar.content_hash IS DISTINCT FROM EXCLUDED.content_hash`;
    const a = await db.pool.query(upsert, [10.5, Buffer.from('a'), 1]);
    const same = await db.pool.query(upsert, [10.5, Buffer.from('a'), 2]);
    const revised = await db.pool.query(upsert, [10.6, Buffer.from('b'), 3]);
    expect([a.rowCount, same.rowCount, revised.rowCount]).toEqual([1, 0, 1]);
    const { rows } = await db.pool.query('SELECT close FROM market_bar');
    expect(rows).toEqual([{ close: 10.6 }]);
    await expect(
      db.pool.query(
        `INSERT INTO market_bar (asset_class, ts_code, trade_date, content_hash, source_topic, source_partition, source_offset)
         VALUES ('bond', 'x', '2026-01-05', '\\x00', 't', 0, 0)`,
      ),
    ).rejects.toThrow(/check constraint/);
  });

  it('refuse a migration whose file changed after it was applied', async () => {
    db = await isolatedSchema(services().postgresUrl);
    await migrate(db.pool, { schema: db.schema });
    const dir = await mkdtemp(join(tmpdir(), 'xasset-migrations-'));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    await writeFile(join(dir, '002_market_data.sql'), '-- edited\n', { flag: 'a' });
    const error = await migrate(db.pool, { schema: db.schema, dir }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).message).toMatch(/002_market_data failed: the file changed/);
  });
});

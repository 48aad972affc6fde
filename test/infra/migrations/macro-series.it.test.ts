import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrate } from '../../../infra/migrations/migrate.js';
import { contentHash } from '../../../processors/normalize/hash.js';
import { normalize } from '../../../processors/normalize/index.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';
import { rawRecord } from '../../processors/raw-fixtures.js';

/** The migration that renames them, and the ones before it: a store as it stood before. */
const RENAME = 16;

describe('migration 016: macro series named after Tushare columns', () => {
  let db: IsolatedDatabase | undefined;
  let before: string | undefined;
  afterAll(async () => {
    await db?.drop();
    if (before) await rm(before, { recursive: true, force: true });
  });

  it('renames stored shibor series and recomputes their hash as the processor would', async () => {
    db = await isolatedSchema(services().postgresUrl);
    before = await mkdtemp(join(tmpdir(), 'xasset-migrations-'));
    for (const file of await readdir(MIGRATIONS_DIR))
      if (/^\d{3}_/.test(file) && Number(file.slice(0, 3)) < RENAME)
        await copyFile(join(MIGRATIONS_DIR, file), join(before, file));
    await migrate(db.pool, { schema: db.schema, dir: before });

    // Rows as the processor stored them before: series by catalog field name, hashed with it.
    const served = { date: '20240102', on: 1.659, m1: 1.8125, y1: 2.41, w2: 1.7 };
    const result = normalize('shibor', rawRecord('shibor', served));
    if (!result.ok) throw result.error;
    const today = result.rows;
    const old = (series: string) => series.replace(/\.(\d)([wmy])$/, '.$2$1');
    for (const row of today) {
      const { content_hash: _, ...values } = row.values;
      const stored: Record<string, unknown> = { ...values, series: old(String(values.series)) };
      await db.pool.query(
        `INSERT INTO macro_observation (series, period, period_end, value, available_date, source_api, content_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          stored.series,
          stored.period,
          stored.period_end,
          stored.value,
          stored.available_date,
          stored.source_api,
          contentHash([{ table: 'macro_observation', values: stored as never }]),
        ],
      );
    }
    const { rows: was } = await db.pool.query<{ series: string }>(
      'SELECT series FROM macro_observation ORDER BY 1',
    );
    expect(was.map((r) => r.series)).toEqual(['shibor.m1', 'shibor.on', 'shibor.w2', 'shibor.y1']);

    await migrate(db.pool, { schema: db.schema });
    const { rows } = await db.pool.query<{ series: string; content_hash: Buffer }>(
      'SELECT series, content_hash FROM macro_observation ORDER BY series',
    );
    const expected = today
      .map((r) => ({ series: String(r.values.series), content_hash: r.values.content_hash }))
      .sort((a, b) => (a.series < b.series ? -1 : 1));
    expect(rows.map((r) => r.series)).toEqual(['shibor.1m', 'shibor.1y', 'shibor.2w', 'shibor.on']);
    // The hash the processor computes for today's row: a re-fetch is a duplicate, not a revision.
    expect(rows).toEqual(expected);
  });
});

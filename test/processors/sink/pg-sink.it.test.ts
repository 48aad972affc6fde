import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnsOf, TABLES, type TableName } from '../../../contracts/normalized/tables.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { withTransaction } from '../../../infra/store/pg.js';
import { keyOf, type PlannedRow, planBatch, type SourcedRows } from '../../../processors/batch.js';
import { NORMALIZED_API_NAMES, normalize } from '../../../processors/normalize/index.js';
import {
  analyzeIfNeverAnalyzed,
  predictChanges,
  type Staging,
  sinkBatch,
} from '../../../processors/sink/pg-sink.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';
import { dailyFields, rawRecord, sampleFields } from '../raw-fixtures.js';

const PG_TYPES: Record<string, string> = {
  text: 'text',
  date: 'date',
  timestamptz: 'timestamp with time zone',
  double: 'double precision',
  boolean: 'boolean',
  jsonb: 'jsonb',
};

function sourced(apiName: string, rows: Record<string, unknown>[], firstOffset = 0): SourcedRows[] {
  return rows.map((fields, i) => {
    const result = normalize(apiName, rawRecord(apiName, fields));
    if (!result.ok) throw result.error;
    return {
      source: { topic: `tushare.raw.${apiName}`, partition: 0, offset: firstOffset + i },
      rows: result.rows,
    };
  });
}

for (const [name, url, poolSize, staging] of [
  ['PostgreSQL 15', () => services().postgresUrl, 4, 'copy'],
  ['PostgreSQL 15', () => services().postgresUrl, 4, 'unnest'],
  ['PGlite + TimescaleDB', () => services().timescaleUrl, 1, 'unnest'],
] as const satisfies readonly (readonly [string, () => string, number, Staging])[]) {
  describe(`pg sink on ${name}, staged by ${staging}`, () => {
    let db: IsolatedDatabase;
    beforeAll(async () => {
      db = await isolatedSchema(url(), { poolSize });
      await migrate(db.pool, { schema: db.schema });
    });
    afterAll(async () => {
      await db?.drop();
    });

    const sink = (records: SourcedRows[], consumer = 'c', expected: number | null = null) =>
      withTransaction(db.pool, (client) =>
        sinkBatch(client, planBatch(records), {
          consumer,
          commits: [{ topic: 't', partition: 0, expected, next: records.length + (expected ?? 0) }],
          staging,
        }),
      );

    it('the table specs the processors use match the migrated tables exactly', async () => {
      for (const table of Object.keys(TABLES) as TableName[]) {
        const spec = TABLES[table];
        const { rows } = await db.pool.query<{ column_name: string; data_type: string; is_nullable: string }>(
          `SELECT column_name, data_type, is_nullable FROM information_schema.columns
           WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name`,
          [db.schema, table],
        );
        const expected = [
          ...columnsOf(table).map((c) => ({
            column_name: c.name,
            data_type: PG_TYPES[c.type],
            is_nullable: c.nullable ? 'YES' : 'NO',
          })),
          ...(spec.hashed ? [{ column_name: 'content_hash', data_type: 'bytea', is_nullable: 'NO' }] : []),
          ...(spec.sourced
            ? [
                { column_name: 'source_topic', data_type: 'text', is_nullable: 'NO' },
                { column_name: 'source_partition', data_type: 'integer', is_nullable: 'NO' },
                { column_name: 'source_offset', data_type: 'bigint', is_nullable: 'NO' },
              ]
            : []),
          { column_name: 'updated_at', data_type: 'timestamp with time zone', is_nullable: 'NO' },
        ].sort((a, b) => a.column_name.localeCompare(b.column_name));
        expect(rows, table).toEqual(expected);
        const { rows: key } = await db.pool.query<{ attname: string }>(
          `SELECT a.attname FROM pg_index i
           JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.ord`,
          [`"${db.schema}".${table}`],
        );
        expect(
          key.map((k) => k.attname),
          table,
        ).toEqual(spec.key.map((c) => c.name));
      }
    });

    // Runs before any other batch, so the staging table is made inside the transaction that fails.
    it('a COMMIT that fails after the sink leaves the connection able to stage the next batch', async () => {
      await db.pool.query('CREATE TABLE commit_trap (id int UNIQUE DEFERRABLE INITIALLY DEFERRED)');
      // PGlite serves every connection one session, so an earlier file's staging table outlives its
      // pool there; integration files run one at a time, so nothing else is using it now.
      await db.pool.query('DROP TABLE IF EXISTS pg_temp.xasset_stage_market_bar');
      const records = sourced('daily', [dailyFields(970, 0)]);
      const sinkOn = (client: Parameters<typeof sinkBatch>[0]) =>
        sinkBatch(client, planBatch(records), {
          consumer: 'trap',
          commits: [{ topic: 't-trap', partition: 0, expected: null, next: records.length }],
          staging,
        });
      const stageTable = (client: Parameters<typeof sinkBatch>[0]) =>
        client
          .query<{ t: string | null; pid: number }>(
            "SELECT to_regclass('pg_temp.xasset_stage_market_bar')::text AS t, pg_backend_pid() AS pid",
          )
          .then((r) => r.rows[0]);
      let pid = 0;
      await expect(
        withTransaction(db.pool, async (client) => {
          const before = await stageTable(client);
          expect(before?.t).toBeNull();
          pid = before?.pid ?? 0;
          await sinkOn(client);
          // Deferred: the duplicate is refused only by COMMIT, after the sink has returned.
          await client.query('INSERT INTO commit_trap VALUES (1), (1)');
        }),
      ).rejects.toThrow(/commit_trap|duplicate key/);
      const result = await withTransaction(db.pool, async (client) => {
        expect((await stageTable(client))?.pid).toBe(pid);
        return sinkOn(client);
      });
      expect(result.counts.get('market_bar')).toEqual({ staged: 1, inserted: 1, revised: 0, duplicates: 0 });
    });

    it('writes what every normalizer produces, reads it back equal, and a second identical batch is all duplicates', async () => {
      const records = NORMALIZED_API_NAMES.flatMap((api, a) =>
        sourced(
          api,
          // Realtime minute samples get codes of their own: how a realtime bar meets the history bar
          // of its minute is the subject of the next test and of test/processors/minute.it.test.ts.
          [0, 1, 2].map((i) =>
            api.startsWith('rt_')
              ? { ...sampleFields(api, i), ts_code: `rt-ts_code-${i}` }
              : sampleFields(api, i),
          ),
          a * 10,
        ),
      );
      const first = await sink(records, 'all');
      // Rows of one key in one batch are one row (the realtime samples have codes of their own; the
      // realtime and history bars of one minute in one batch are the next test's subject).
      const keysPerTable = new Map<string, Set<string>>();
      for (const { rows } of records) {
        for (const row of rows) {
          if (TABLES[row.table].extends) continue;
          const keys = keysPerTable.get(row.table) ?? new Set<string>();
          keys.add(keyOf(row.table, row.values));
          keysPerTable.set(row.table, keys);
        }
      }
      for (const [table, keys] of keysPerTable) {
        const n = keys.size;
        expect(first.counts.get(table as TableName), table).toEqual({
          staged: n,
          inserted: n,
          revised: 0,
          duplicates: 0,
        });
      }
      // Normalized times carry China's offset; read them back in that zone so they compare as text.
      const readBack = (table: string) =>
        withTransaction(db.pool, async (client) => {
          await client.query("SET LOCAL TIME ZONE 'Asia/Shanghai'");
          const { rows } = await client.query<{ row: Record<string, unknown> }>(
            `SELECT to_jsonb(t) AS row FROM ${table} t`,
          );
          return rows;
        });
      // Every column reads back as normalized (dates, jsonb, booleans, doubles), extension rows included.
      const plan = planBatch(records);
      for (const [table, planned] of plan.byTable) {
        for (const dependentTable of new Set(planned.flatMap((p) => p.dependents.map((d) => d.table)))) {
          const stored = await readBack(dependentTable);
          const byKey = new Map(stored.map(({ row }) => [keyOf(dependentTable, row as never), row]));
          for (const dependent of planned
            .flatMap((p) => p.dependents)
            .filter((d) => d.table === dependentTable)) {
            const row = byKey.get(keyOf(dependentTable, dependent.values));
            for (const c of columnsOf(dependentTable))
              expect(row?.[c.name], c.name).toEqual(dependent.values[c.name]);
          }
        }
        const stored = await readBack(table);
        const byKey = new Map(stored.map(({ row }) => [keyOf(table, row as never), row]));
        for (const p of planned) {
          const row = byKey.get(p.key);
          expect(row, `${table} ${p.key}`).toBeDefined();
          for (const c of columnsOf(table))
            expect(row?.[c.name], `${table}.${c.name}`).toEqual(p.values[c.name]);
        }
      }
      const { rows: wsr } = await db.pool.query(
        "SELECT year, grade, brand FROM fut_wsr WHERE symbol = 'symbol-0'",
      );
      expect(wsr).toEqual([{ year: 'year-0', grade: 'grade-0', brand: 'brand-0' }]);
      const { rows: macro } = await db.pool.query(
        "SELECT period, period_end::text, available_date::text, value FROM macro_observation WHERE series = 'cn_cpi.nt_yoy' ORDER BY period",
      );
      expect(macro).toEqual([
        { period: '2000-01', period_end: '2000-01-31', available_date: '2000-02-16', value: 1.25 },
        { period: '2000-02', period_end: '2000-02-29', available_date: '2000-03-16', value: 2.25 },
        { period: '2000-03', period_end: '2000-03-31', available_date: '2000-04-16', value: 3.25 },
      ]);
      const { rows: hashes } = await db.pool.query<{ content_hash: Buffer }>(
        "SELECT content_hash FROM daily_basic WHERE ts_code = 'ts_code-1'",
      );
      const dailyBasic = records.find(
        (r) => r.rows[0]?.table === 'daily_basic' && r.rows[0].values.ts_code === 'ts_code-1',
      );
      expect(hashes[0]?.content_hash.equals(dailyBasic?.rows[0]?.values.content_hash as Buffer)).toBe(true);

      const again = await sink(records, 'all', records.length);
      for (const [table, { size: n }] of keysPerTable) {
        expect(again.counts.get(table as TableName), table).toEqual({
          staged: n,
          inserted: 0,
          revised: 0,
          duplicates: n,
        });
      }
      expect([...again.written.values()].reduce((a, b) => a + b, 0)).toBe(0);
    });

    it('one batch holding a realtime bar and the history bar of its minute stores one final row; the same batch again is all duplicates', async () => {
      // Both realtime minute endpoints meet their history endpoint: rt_min's topic sorts before
      // stk_mins', rt_idx_min's after idx_mins', so either order inside a batch is covered.
      const bar = (api: string, code: string, time: string) => ({
        ts_code: code,
        [api.startsWith('rt_') ? 'time' : 'trade_time']: time,
        open: 10,
        high: 10.2,
        low: 9.9,
        close: 10.1,
        vol: 1200,
        amount: 12_100,
      });
      const pairs = [
        ['rt_min', 'stk_mins', '600999.SH'],
        ['rt_idx_min', 'idx_mins', '000999.SH'],
      ] as const;
      const batch = pairs.flatMap(([realtime, history, code], i) => [
        ...sourced(realtime, [bar(realtime, code, '2024-03-11 09:31:00')], 10 * i),
        ...sourced(history, [bar(history, code, '2024-03-11 09:31:00')], 10 * i + 1),
      ]);
      const stored = async () =>
        (
          await db.pool.query<{ ts_code: string; provisional: boolean; source_topic: string }>(
            `SELECT ts_code, provisional, source_topic FROM minute_bar
             WHERE ts_code = ANY($1::text[]) ORDER BY ts_code`,
            [pairs.map(([, , code]) => code)],
          )
        ).rows;
      const finalRows = pairs
        .map(([, history, code]) => ({
          ts_code: code,
          provisional: false,
          source_topic: `tushare.raw.${history}`,
        }))
        .sort((a, b) => a.ts_code.localeCompare(b.ts_code));

      const plan = planBatch(batch);
      expect(plan.superseded).toBe(2);
      expect(await predictChanges(db.pool, 'minute_bar', plan.byTable.get('minute_bar') ?? [])).toEqual(
        new Map((plan.byTable.get('minute_bar') ?? []).map((row) => [row.key, 'insert'])),
      );
      const first = await sink(batch, 'rt-and-history');
      expect(first.counts.get('minute_bar')).toEqual({ staged: 2, inserted: 2, revised: 0, duplicates: 0 });
      expect(await stored()).toEqual(finalRows);

      expect(await predictChanges(db.pool, 'minute_bar', plan.byTable.get('minute_bar') ?? [])).toEqual(
        new Map(),
      );
      const again = await sink(batch, 'rt-and-history', batch.length);
      expect(again.counts.get('minute_bar')).toEqual({ staged: 2, inserted: 0, revised: 0, duplicates: 2 });
      expect(again.written.get('minute_bar')).toBe(0);
      expect(await stored()).toEqual(finalRows);
    });

    it('keeps the last row of a key within a batch, and the offset a record-by-record run would keep', async () => {
      const a = dailyFields(900, 0);
      const b = dailyFields(900, 0, 1);
      // Stored: b at offset 100. Batch: a@200, b@201, b@202 → the content settles on b again, and a
      // record-by-record run would have rewritten the row from offset 201.
      await sink(sourced('daily', [b], 100), 'order');
      const batch = sourced('daily', [a, b, b], 200);
      const plan = planBatch(batch);
      expect(plan.superseded).toBe(2);
      expect(await predictChanges(db.pool, 'market_bar', plan.byTable.get('market_bar') ?? [])).toEqual(
        new Map([[JSON.stringify(['stock', a.ts_code, '2024-01-01']), 'revision']]),
      );
      const result = await sink(batch, 'order2');
      expect(result.counts.get('market_bar')).toEqual({ staged: 1, inserted: 0, revised: 1, duplicates: 0 });
      const { rows } = await db.pool.query(
        "SELECT close, source_offset FROM market_bar WHERE ts_code = $1 AND trade_date = '2024-01-01'",
        [a.ts_code],
      );
      expect(rows).toEqual([{ close: b.close, source_offset: 201 }]);
      // The same content again in a later batch is a duplicate: the stored offset stays 201.
      const later = await sink(sourced('daily', [b], 300), 'order3');
      expect(later.counts.get('market_bar')).toMatchObject({ duplicates: 1 });
      const { rows: still } = await db.pool.query(
        "SELECT source_offset FROM market_bar WHERE ts_code = $1 AND trade_date = '2024-01-01'",
        [a.ts_code],
      );
      expect(still).toEqual([{ source_offset: 201 }]);
    });

    it('writes an extension row only with its parent, and revises the bar when only the extension changed', async () => {
      const base = { ...sampleFields('fut_daily', 50), ts_code: 'RB2501.SHF' };
      await sink(sourced('fut_daily', [base]), 'ext');
      const changed = await sink(sourced('fut_daily', [{ ...base, settle: 4321.5 }]), 'ext2');
      expect(changed.counts.get('market_bar')).toMatchObject({ revised: 1 });
      expect(changed.written.get('futures_bar_ext')).toBe(1);
      const { rows } = await db.pool.query("SELECT settle FROM futures_bar_ext WHERE ts_code = 'RB2501.SHF'");
      expect(rows).toEqual([{ settle: 4321.5 }]);
      const same = await sink(sourced('fut_daily', [{ ...base, settle: 4321.5 }]), 'ext3');
      expect(same.written.get('futures_bar_ext') ?? 0).toBe(0);
    });

    it('refuses to commit offsets that moved under it, and the whole batch rolls back', async () => {
      const rows = sourced('daily', [dailyFields(950, 0)]);
      await sink(rows, 'cas', null);
      const other = sourced('daily', [dailyFields(951, 0)]);
      await expect(sink(other, 'cas', null)).rejects.toThrow(/moved/);
      const { rows: found } = await db.pool.query(
        'SELECT count(*)::int AS n FROM market_bar WHERE ts_code = $1',
        [dailyFields(951, 0).ts_code],
      );
      expect(found).toEqual([{ n: 0 }]);
      // The temp staging tables survive the rollback's cleanup: the next batch on the pool works.
      await expect(sink(other, 'cas', 1)).resolves.toBeDefined();
    });
  });
}

describe('the prediction read on a table without statistics', () => {
  let db: IsolatedDatabase;
  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl, { poolSize: 2 });
    await migrate(db.pool, { schema: db.schema });
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** The processor's own prediction query for these rows, explained (predictChanges finds no `i` in a plan's rows). */
  const planOf = async (table: TableName, rows: PlannedRow[]): Promise<string> => {
    const plans: string[] = [];
    const explaining = {
      query: async (text: string, params: unknown[]) => {
        const { rows } = await db.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, params);
        plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
        return { rows: [] };
      },
    };
    await predictChanges(explaining as never, table, rows);
    expect(plans).toHaveLength(1);
    return plans.join('\n');
  };

  it('probes minute_bar by its primary key, not by scanning the table or every bar of a code', async () => {
    // 60,000 bars of 200 codes, never analyzed (the machine's PostgreSQL runs without autovacuum).
    await db.pool.query(
      `INSERT INTO minute_bar (asset_class, ts_code, freq, trade_time, trade_date, content_hash,
                               source_topic, source_partition, source_offset)
       SELECT 'stock', 'C' || (g % 200), '1min', timestamptz '2024-01-02 09:30+08' + (g / 200) * interval '1 minute',
              date '2024-01-02' + (g / 200 / 241), '\\x00', 't', 0, g
       FROM generate_series(0, 59999) AS g`,
    );
    const { rows: stored } = await db.pool.query<{
      asset_class: string;
      ts_code: string;
      freq: string;
      trade_time: Date;
    }>(
      'SELECT asset_class, ts_code, freq, trade_time FROM minute_bar ORDER BY source_offset DESC LIMIT 5000',
    );
    const planned = stored.map(
      ({ trade_time, ...values }, i): PlannedRow => ({
        table: 'minute_bar',
        key: String(i),
        values: {
          ...values,
          trade_time: trade_time.toISOString(),
          content_hash: Buffer.from([1]),
          provisional: false,
        },
        source: { topic: 't', partition: 0, offset: i },
        force: false,
        dependents: [],
      }),
    );
    const plan = await planOf('minute_bar', planned);
    expect(plan).toContain('Index Scan using minute_bar_pkey');
    expect(plan).not.toMatch(/Seq Scan on minute_bar|minute_bar_day_idx/);

    // And as it runs: every key is found, so nothing is predicted to change but the hash.
    const changes = await predictChanges(db.pool, 'minute_bar', planned);
    expect(changes.size).toBe(5000);
    expect(new Set(changes.values())).toEqual(new Set(['revision']));
  });

  it('probes market_bar by its primary key once the processor has analyzed a table that never was', async () => {
    // 20,000 bars of 5,000 stocks on 4 days: by the date index, each key would scan its whole day.
    await db.pool.query(
      `INSERT INTO market_bar (asset_class, ts_code, trade_date, content_hash, source_topic, source_partition, source_offset)
       SELECT 'stock', 'C' || (g % 5000), date '2024-01-02' + (g / 5000), '\\x00', 't', 0, g
       FROM generate_series(0, 19999) AS g`,
    );
    const { rows: stored } = await db.pool.query<{
      asset_class: string;
      ts_code: string;
      trade_date: string;
    }>(
      "SELECT asset_class, ts_code, to_char(trade_date, 'YYYY-MM-DD') AS trade_date FROM market_bar ORDER BY source_offset DESC LIMIT 5000",
    );
    const planned = stored.map(
      (values, i): PlannedRow => ({
        table: 'market_bar',
        key: String(i),
        values: { ...values, content_hash: Buffer.from([1]) },
        source: { topic: 't', partition: 0, offset: i },
        force: false,
        dependents: [],
      }),
    );
    expect(await planOf('market_bar', planned)).toContain('market_bar_date_idx');
    expect(await analyzeIfNeverAnalyzed(db.pool, 'market_bar')).toBe(true);
    expect(await planOf('market_bar', planned)).toContain('Index Scan using market_bar_pkey');
    // Analyzed once, never again: the statistics are the database's to keep from here on.
    expect(await analyzeIfNeverAnalyzed(db.pool, 'market_bar')).toBe(false);
  });
});

import pg from 'pg';
import { TABLES } from '../../../contracts/normalized/tables.js';

/** Every table the processor writes, and the offsets it keeps beside them. */
export const PROCESSOR_TABLES = [...Object.keys(TABLES), 'consumer_offset'];

/** Bookkeeping that honestly differs between two runs: the wall clock, and the consumer's own name. */
const IGNORED: Record<string, readonly string[]> = { consumer_offset: ['consumer'] };

const slotOf = (topic: string, partition: number) => `${topic}/${partition}`;

/** consumer_offset of one consumer, per `<topic>/<partition>`. */
export async function storedOffsets(pool: pg.Pool, consumer: string): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ topic: string; partition: number; next_offset: string }>(
    'SELECT topic, partition, next_offset FROM consumer_offset WHERE consumer = $1',
    [consumer],
  );
  return new Map(rows.map((r) => [slotOf(r.topic, r.partition), Number(r.next_offset)]));
}

export const total = (offsets: ReadonlyMap<string, number>): number =>
  [...offsets.values()].reduce((sum, n) => sum + n, 0);

/** market_bar rows per `<asset_class>|<YYYYMMDD>`. */
export async function barsPerDay(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ key: string; n: string }>(
    `SELECT asset_class || '|' || to_char(trade_date, 'YYYYMMDD') AS key, count(*) AS n
       FROM market_bar GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.n)]));
}

/** Rows of a table keyed by ts_code and trade_date (an extension table), per YYYYMMDD. */
export async function rowsPerDay(pool: pg.Pool, table: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ day: string; n: string }>(
    `SELECT to_char(trade_date, 'YYYYMMDD') AS day, count(*) AS n FROM ${table} GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.day, Number(r.n)]));
}

export async function count(pool: pg.Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n ?? 0);
}

export interface TableDiff {
  table: string;
  rows: number;
  /** A few rows (as JSON) present on one side only; empty when the tables hold the same content. */
  onlyLeft: string[];
  onlyRight: string[];
}

/**
 * Compares a table in two schemas row for row, every column but `updated_at` (and a consumer's
 * name): content hashes, values and source offsets included. The database does the comparison,
 * so tens of thousands of rows cost one round trip.
 */
export async function diffTable(url: string, left: string, right: string, table: string): Promise<TableDiff> {
  const drop = ['updated_at', ...(IGNORED[table] ?? [])].map((c) => ` - '${c}'`).join('');
  const side = (schema: string) => `SELECT to_jsonb(t)${drop} AS r FROM "${schema}".${table} t`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const only = async (a: string, b: string) =>
      (
        await client.query<{ r: unknown }>(
          `SELECT r FROM ((${side(a)}) EXCEPT ALL (${side(b)})) d ORDER BY r::text LIMIT 5`,
        )
      ).rows.map((row) => JSON.stringify(row.r));
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${left}".${table}`);
    return {
      table,
      rows: Number(rows[0]?.n ?? 0),
      onlyLeft: await only(left, right),
      onlyRight: await only(right, left),
    };
  } finally {
    await client.end();
  }
}

/** A consumer_offset row locked by a transaction of the test's own. */
export interface HeldOffset {
  /** The row's next_offset once the lock was had. */
  next: number;
  /** The backends waiting for this lock. */
  waiting(): Promise<number[]>;
  release(): Promise<void>;
}

/**
 * Locks one consumer_offset row (SELECT … FOR UPDATE). The processor's next batch of that
 * partition stages and upserts its rows, then waits at the offset's compare-and-set inside its
 * open transaction: a process killed then dies in the middle of that batch, not between batches.
 */
export async function holdOffset(
  pool: pg.Pool,
  consumer: string,
  topic: string,
  partition: number,
): Promise<HeldOffset> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ next_offset: string; pid: number }>(
      `SELECT next_offset, pg_backend_pid() AS pid FROM consumer_offset
        WHERE consumer = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
      [consumer, topic, partition],
    );
    const row = rows[0];
    if (!row) throw new Error(`no consumer_offset row for ${consumer} ${topic}/${partition}`);
    return {
      next: Number(row.next_offset),
      waiting: async () =>
        (
          await pool.query<{ pid: number }>(
            'SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
            [row.pid],
          )
        ).rows.map((r) => r.pid),
      release: async () => {
        await client.query('ROLLBACK').finally(() => client.release());
      },
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
    throw err;
  }
}

/** Whether a database backend still exists (a killed client's backend ends once it notices). */
export async function backendAlive(pool: pg.Pool, pid: number): Promise<boolean> {
  const { rows } = await pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows.length > 0;
}

import pg from 'pg';

/**
 * node-postgres returns int8 as strings to protect precision; offsets and counters in this project
 * fit in a double, and numbers keep every caller simple. NUMERIC stays a string.
 */
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface PoolOptions {
  url: string;
  /** Tables live in this schema; `public` stays on the path for extension functions. */
  schema: string;
  size: number;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({ connectionString: options.url, max: options.size });
  if (options.schema !== 'public') {
    pool.on('connect', (client) => {
      // Quoted by construction: the config schema only admits lower-case identifiers.
      client.query(`SET search_path TO "${options.schema}", public`).catch(() => {});
    });
  }
  return pool;
}

export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

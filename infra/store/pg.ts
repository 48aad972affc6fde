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
  if (options.schema === 'public') return new pg.Pool({ connectionString: options.url, max: options.size });
  return new pg.Pool({
    connectionString: options.url,
    max: options.size,
    Client: clientInSchema(options.schema),
  });
}

/**
 * A client whose connect() resolves only once its search_path is set, so the pool never hands out
 * a connection before that. (A startup `options` parameter would do it in one round trip, but
 * PGlite ignores it; a query from the pool's `connect` event would race the caller's first query.)
 */
function clientInSchema(schema: string): typeof pg.Client {
  const SchemaClient = class extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's connect is overloaded (callback or promise)
    override connect(callback?: (...args: any[]) => void): any {
      // Quoted by construction: the config schema only admits lower-case identifiers.
      const ready = super.connect().then(async () => {
        await this.query(`SET search_path TO "${schema}", public`);
      });
      if (!callback) return ready;
      ready.then(
        () => callback(null),
        (err: Error) => callback(err),
      );
      return undefined;
    }
  };
  return SchemaClient as unknown as typeof pg.Client;
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

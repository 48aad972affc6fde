import pg from 'pg';
import { DependencyUnavailableError } from '../../contracts/errors.js';

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
  const pool =
    options.schema === 'public'
      ? new pg.Pool({ connectionString: options.url, max: options.size })
      : new pg.Pool({
          connectionString: options.url,
          max: options.size,
          Client: clientInSchema(options.schema),
        });
  // A connection the server ends (a restart, pg_terminate_backend) emits 'error' on its client,
  // idle or checked out; unheard, that event would kill the process. The query in flight rejects
  // with the same error, which is where it is handled, and the pool drops the broken client.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** SQLSTATEs of a connection the server ended or refused: admin/crash shutdown, starting up. */
const CONNECTION_LOST_STATES = new Set(['57P01', '57P02', '57P03']);
const CONNECTION_LOST_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN']);

/**
 * The database connection went away (server restarted, backend terminated, network cut) rather
 * than the statement being refused: the work can be redone on a new connection once it answers.
 */
export function isConnectionLoss(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    // Another dependency's typed outage is that dependency's: a lost Kafka broker has a refused
    // socket among its causes too, and must not be waited out (and reported) as PostgreSQL.
    if (e instanceof DependencyUnavailableError && e.details.dependency !== 'PostgreSQL') return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_LOST_STATES.has(code) || code.startsWith('08'))) return true;
    if (typeof code === 'string' && CONNECTION_LOST_CODES.has(code)) return true;
    if (/^Connection terminated|connection error and is not queryable/.test(e.message)) return true;
  }
  return false;
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

/** Hooks of the transaction open on a client, run if it ends in a rollback (see onRollback). */
const rollbackHooks = new WeakMap<object, (() => void)[]>();

/**
 * Runs `hook` if the transaction that withTransaction has open on `client` rolls back, for whatever
 * reason: the work threw, or COMMIT itself failed. State a caller keeps beside the connection (a
 * temporary table it made inside the transaction) is then forgotten along with the rollback.
 * Outside withTransaction it does nothing.
 */
export function onRollback(client: object, hook: () => void): void {
  rollbackHooks.get(client)?.push(hook);
}

export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  const hooks: (() => void)[] = [];
  rollbackHooks.set(client, hooks);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    for (const hook of hooks) hook();
    throw err;
  } finally {
    rollbackHooks.delete(client);
    client.release();
  }
}

import type pg from 'pg';
import type { AppendLock } from '../log/append-lock.js';

/** The first key of every advisory lock this project takes ('xass'), so others' locks never collide. */
const NAMESPACE = 0x78617373;

/**
 * An AppendLock shared by every process on one database: a transaction-scoped PostgreSQL advisory
 * lock keyed by the name's hash. A holder that dies loses its connection, and the server releases
 * the lock with it, so a crash never leaves the topic locked.
 */
export class PgAdvisoryLock implements AppendLock {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async holding<T>(name: string, work: () => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [NAMESPACE, name]);
    } catch (err) {
      client.release(true);
      throw err;
    }
    try {
      return await work();
    } finally {
      // The transaction wrote nothing: ending it only releases the lock. A connection that cannot end
      // it is discarded, which releases the lock as well; what `work` did stands either way.
      await client.query('ROLLBACK').then(
        () => client.release(),
        () => client.release(true),
      );
    }
  }
}

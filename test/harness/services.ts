import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPool } from '../../infra/store/pg.js';
import type { ServiceAddresses } from './addresses.js';

export function services(): ServiceAddresses {
  return inject('services');
}

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

export interface IsolatedDatabase {
  pool: pg.Pool;
  schema: string;
  url: string;
  /** Drops the schema and closes the pool. */
  drop(): Promise<void>;
}

/**
 * A fresh schema on a shared server, so test files cannot see each other's rows. PGlite serves
 * one connection at a time, so its pools are size 1.
 */
export async function isolatedSchema(
  url: string,
  options: { poolSize?: number } = {},
): Promise<IsolatedDatabase> {
  const schema = uniqueName('it');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  const pool = createPool({ url, schema, size: options.poolSize ?? 4 });
  return {
    pool,
    schema,
    url,
    drop: async () => {
      await pool.end();
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await cleanup.end();
    },
  };
}

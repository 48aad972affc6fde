import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { timescaledb } from '@electric-sql/pglite/timescaledb';
import { StoreOpenError } from '../../contracts/errors.js';
import { lockDir } from './dir-lock.js';
import { servePglite } from './pglite-wire.js';

export interface EmbeddedPglite {
  port: number;
  /** What `pg` is given; PGlite serves one connection at a time, so use a pool of 1. */
  url: string;
  close(): Promise<void>;
}

/**
 * PGlite (PostgreSQL in WASM) with TimescaleDB, served on a TCP port so the rest of the project
 * talks to it with plain `pg`, exactly as to a real server. Used in-process by the embedded mode
 * and, through pglite-server.ts, as a detached local service.
 */
export async function openEmbeddedPglite(options: {
  dataDir: string;
  port: number;
  host?: string;
}): Promise<EmbeddedPglite> {
  const host = options.host ?? '127.0.0.1';
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });

  // PGlite runs one backend bound to the database chosen here; the database named in a client's
  // startup packet is ignored. Its default is template1, so ask for `postgres` to match the URL
  // clients are given.
  // One process per folder: a second WASM backend on the same files corrupts them.
  const lock = await lockDir(dataDir);
  let db: PGlite;
  try {
    db = await openDataDir(dataDir);
  } catch (err) {
    await lock.release();
    throw err;
  }

  // A client waiting behind another one is dropped after this long; generous, because the only
  // thing a waiter can do is wait for the one open connection to be released.
  const server = await servePglite(db, {
    host,
    port: options.port,
    queueTimeoutMs: 60_000,
    onError: (err) => console.error('pglite: connection error:', err),
  });
  const port = server.port;

  return {
    port,
    url: `postgres://postgres@${host}:${port}/postgres`,
    close: async () => {
      try {
        await server.close();
      } finally {
        // A clean close checkpoints the data dir; after a kill the next start must replay WAL.
        try {
          await db.close();
        } finally {
          await lock.release();
        }
      }
    },
  };
}

/**
 * Opens (or creates) the data folder and loads TimescaleDB. A folder that does not open is a
 * StoreOpenError with a recovery hint: PGlite's own failure is a WASM abort whose text helps nobody.
 */
async function openDataDir(dataDir: string): Promise<PGlite> {
  const open = () => PGlite.create(dataDir, { database: 'postgres', extensions: { timescaledb } });
  let db: PGlite | undefined;
  try {
    db = await open();
    // The session that runs initdb on a fresh folder is still in template1 whatever was asked for;
    // only a reopen lands in `postgres`. Without this, the first run's tables vanish on restart.
    const reopen =
      (await db.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db !== 'postgres';
    if (reopen) {
      await db.close();
      db = await open();
    }
    // Real servers preload TimescaleDB's loader via shared_preload_libraries; PGlite has no such
    // step. CREATE EXTENSION loads it on the very first run, but on a reopened data dir it is a no-op
    // and the planner hooks stay missing: SELECTs work, yet every INSERT into a hypertable fails with
    // "invalid INSERT on the root table". The single backend keeps the library for all connections.
    await db.exec(`LOAD 'timescaledb'`);
    await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
    return db;
  } catch (err) {
    await db?.close().catch(() => undefined);
    const reason =
      err instanceof Error ? `${err.name}: ${err.message.split('\n', 1)[0]?.slice(0, 120)}` : String(err);
    throw new StoreOpenError(dataDir, reason, { cause: err });
  }
}

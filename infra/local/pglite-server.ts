/**
 * Embedded PostgreSQL + TimescaleDB served over TCP, so the rest of the project talks to it with
 * plain `pg` exactly as it would to a real server. Started detached by `pgliteService`; prints
 * `ready <port>` once it accepts connections and flushes its data folder on SIGTERM/SIGINT.
 *
 *   node --import tsx infra/local/pglite-server.ts --data <dir> --port <port> [--host 127.0.0.1]
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { timescaledb } from '@electric-sql/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    port: { type: 'string', default: '5432' },
    host: { type: 'string', default: '127.0.0.1' },
  },
  strict: true,
});

if (!values.data) {
  console.error('usage: pglite-server.ts --data <dir> --port <port> [--host <host>]');
  process.exit(2);
}
const port = Number.parseInt(values.port, 10);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`pglite-server: bad --port ${values.port}`);
  process.exit(2);
}

const dataDir = resolve(values.data);
await mkdir(dataDir, { recursive: true });

// PGlite runs one backend bound to the database chosen here; the database named in a client's
// startup packet is ignored. Its default is template1, so ask for `postgres` to match the URL
// clients are given.
const open = () => PGlite.create(dataDir, { database: 'postgres', extensions: { timescaledb } });
let db = await open();
// The session that runs initdb on a fresh folder is still in template1 whatever was asked for;
// only a reopen lands in `postgres`. Without this, the first run's tables vanish on restart.
const reopen = (await db.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db !== 'postgres';
if (reopen) {
  await db.close();
  db = await open();
}
// Real servers preload TimescaleDB's loader via shared_preload_libraries; PGlite has no such step.
// CREATE EXTENSION loads it on the very first run, but on a reopened data dir it is a no-op and
// the planner hooks stay missing: SELECTs work, yet every INSERT into a hypertable fails with
// "invalid INSERT on the root table". The single backend keeps the library for all connections.
await db.exec(`LOAD 'timescaledb'`);
await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');

// A client waiting behind another one is dropped after this long; generous, because the only
// thing a waiter can do is wait for the one open connection to be released.
const server = new PGLiteSocketServer({ db, port, host: values.host, connectionQueueTimeout: 60_000 });
server.addEventListener('error', (event) => {
  console.error('pglite-server: connection error:', (event as CustomEvent).detail);
});
await server.start();

const bound = server.getServerConn().split(':').at(-1) ?? String(port);
process.stdout.write(`ready ${bound}\n`);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`pglite-server: ${signal}, closing`);
  try {
    await server.stop();
  } catch (err) {
    console.error('pglite-server: socket server did not stop cleanly:', err);
  }
  try {
    // A clean close checkpoints the data dir; after a kill the next start must replay WAL first.
    await db.close();
  } catch (err) {
    console.error('pglite-server: close failed:', err);
    process.exit(1);
  }
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

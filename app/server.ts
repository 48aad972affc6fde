import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import type pino from 'pino';
import { collectProcessMetrics } from '../infra/metrics/registry.js';
import { storageMode } from '../infra/migrations/migrate.js';
import { logCommands, StoreMatrixSource } from '../projections/api/adapters.js';
import { storeFoundation } from '../projections/api/foundation.js';
import { PgGateSnapshotSource } from '../projections/api/gate-snapshot.js';
import { answerClientError } from '../projections/api/http-errors.js';
import { PgProjectionReader } from '../projections/api/pg-reader.js';
import { controlPlaneApi } from '../projections/api/plugin.js';
import type { Environment } from '../projections/api/schemas.js';
import { ControlView } from '../projections/log/control-view.js';
import { matrixPools } from './daily-job.js';
import { grayReport } from './gray.js';
import { checkHealth, HealthReport } from './health.js';
import type { Runtime } from './runtime.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface ServerOptions {
  /** Where 5xx causes are logged; clients only see the stable error code. */
  logger?: pino.Logger;
  now?: () => Date;
  /**
   * The folded control log the API's commands decide on; share it with the process's other
   * command loops (reaper, evaluator) so their decisions are taken one at a time.
   */
  view?: ControlView;
}

/**
 * The status API: `/health`, and the control plane's routes and status page (projections/api).
 * This is where its ports get their adapters. Fastify's own logger is off: requests are not worth
 * a log line each on a status endpoint.
 */
export function buildServer(runtime: Runtime, options: ServerOptions = {}): FastifyInstance {
  const app = Fastify({ logger: false, clientErrorHandler: answerClientError });
  collectProcessMetrics();
  const now = options.now ?? (() => new Date());
  app.get('/health', async (_request, reply) => {
    const report = await checkHealth(runtime);
    // Load balancers read the status code; people read the body.
    return reply.code(report.status === 'down' ? 503 : 200).send(report);
  });

  const reader = new PgProjectionReader(runtime.pool, { log: runtime.log, now });
  const matrix = new StoreMatrixSource(runtime.pool, reader, matrixPools(runtime));
  const ports = { log: runtime.log, codec: runtime.codec };
  app.register(controlPlaneApi, {
    reader,
    matrix,
    gates: new PgGateSnapshotSource(
      runtime.pool,
      matrix,
      runtime.config.gates,
      now,
      storeFoundation(runtime.pool, runtime.log),
    ),
    commands: logCommands({ ...ports, view: options.view ?? new ControlView(ports) }, now),
    adminToken: runtime.config.server.adminToken,
    environment: () => environmentOf(runtime),
    version: VERSION,
    now,
    gray: () => grayReport(runtime),
    documented: [
      {
        method: 'GET',
        url: '/health',
        summary: 'Store, log and registry reachability',
        tag: 'status',
        response: HealthReport,
        alsoAnswers: [503],
      },
    ],
    onServerError: (err, request) => {
      if (options.logger) options.logger.error({ err, url: request.url }, 'request failed');
      else process.stderr.write(`xasset serve: ${request.method} ${request.url} failed: ${String(err)}\n`);
    },
  });
  return app;
}

async function environmentOf(runtime: Runtime): Promise<Environment> {
  let mode: Environment['storageMode'] = null;
  try {
    mode = await storageMode(runtime.pool);
  } catch {
    // The status still answers when the store does not; /health says why.
  }
  return { log: runtime.log.kind, store: runtime.store.kind, storageMode: mode };
}

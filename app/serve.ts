import type pino from 'pino';
import { followReaper } from '../projections/reaper/reaper.js';
import { ProjectionRunner } from '../projections/runner/runner.js';
import type { Runtime } from './runtime.js';
import { buildServer } from './server.js';

export interface StatusService {
  address: string;
  stop(): Promise<void>;
}

/**
 * The long-running control plane of one process: the status API, the projection runner keeping
 * the tables current with the control log (and raising cursor-regression alerts), and the reaper
 * closing runs whose heartbeat stopped. Without the runner a `POST /flags` would be in the log but
 * never in `/flags`.
 */
export async function startStatusService(
  runtime: Runtime,
  options: { logger: pino.Logger; host: string; port: number },
): Promise<StatusService> {
  const { logger } = options;
  const ports = { log: runtime.log, codec: runtime.codec };
  const runner = new ProjectionRunner({ ...ports, pool: runtime.pool });
  await runner.catchUp();
  const following = runner.follow({
    raiseAlerts: true,
    onError: (err) => logger.error({ err }, 'projection runner failed; retrying'),
  });
  const reaper = followReaper(ports, {
    everyMs: runtime.config.pipeline.heartbeatMs,
    onReaped: (runs) => logger.warn({ runs }, 'stale runs closed as abandoned'),
    onError: (err) => logger.error({ err }, 'reaper failed; retrying'),
  });
  const app = buildServer(runtime, { logger });
  const address = await app.listen({ host: options.host, port: options.port });
  return {
    address,
    stop: async () => {
      await app.close();
      await reaper.stop();
      await following.stop();
    },
  };
}

import type pino from 'pino';
import { ControlView } from '../projections/log/control-view.js';
import { followEvaluator } from '../projections/policy/evaluator.js';
import { followReaper } from '../projections/reaper/reaper.js';
import { ProjectionRunner } from '../projections/runner/runner.js';
import { matrixPools } from './daily-job.js';
import { processedTopics } from './pipeline.js';
import type { Runtime } from './runtime.js';
import { buildServer } from './server.js';

export interface StatusService {
  address: string;
  stop(): Promise<void>;
}

/**
 * The long-running control plane of one process: the status API, the projection runner keeping
 * the tables current with the control log (and raising cursor-regression alerts), the reaper
 * closing runs whose heartbeat stopped, and the evaluator recording gate verdicts, raising
 * threshold alerts and freezing a phase whose passed gate regressed. Without the runner a
 * `POST /flags` would be in the log but never in `/flags`.
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
  // One view for the loops' commands: folded incrementally, their decisions taken one at a time.
  const commands = { ...ports, view: new ControlView(ports) };
  const reaper = followReaper(commands, {
    everyMs: runtime.config.pipeline.heartbeatMs,
    onReaped: (runs) => logger.warn({ runs }, 'stale runs closed as abandoned'),
    onError: (err) => logger.error({ err }, 'reaper failed; retrying'),
  });
  const evaluator = followEvaluator(
    { ...commands, pool: runtime.pool },
    {
      everyMs: runtime.config.pipeline.heartbeatMs,
      gates: runtime.config.gates,
      alerts: runtime.config.alerts,
      consumer: { name: runtime.config.pipeline.processorName, topics: processedTopics() },
      pools: matrixPools(runtime),
      gray: runtime.config.gray,
      onAppended: ({ recorded, raised, resolved, freeze, offsets, gray }) => {
        const fields = { offsets, gates: recorded.map((g) => g.gate), raised, resolved, freeze, gray };
        if (freeze) logger.warn(fields, 'gate regressed: phase frozen and rolled back');
        else logger.info(fields, 'gates and alerts evaluated');
      },
      onError: (err) => logger.error({ err }, 'evaluator failed; retrying'),
    },
  );
  const app = buildServer(runtime, { logger, view: commands.view });
  const address = await app.listen({ host: options.host, port: options.port });
  return {
    address,
    stop: async () => {
      await app.close();
      await evaluator.stop();
      await reaper.stop();
      await following.stop();
    },
  };
}

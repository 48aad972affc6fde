import Fastify, { type FastifyInstance } from 'fastify';
import { checkHealth } from './health.js';
import type { Runtime } from './runtime.js';

/**
 * The status API. This first version serves `/health`; the control plane adds its routes here.
 * Fastify's own logger is off: requests are not worth a log line each on a status endpoint.
 */
export function buildServer(runtime: Runtime): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/health', async (_request, reply) => {
    const report = await checkHealth(runtime);
    // Load balancers read the status code; people read the body.
    return reply.code(report.status === 'down' ? 503 : 200).send(report);
  });
  return app;
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import type { Config } from '../contracts/config.js';
import { ConfigError } from '../contracts/errors.js';
import {
  collectProcessMetrics,
  expositionWithout,
  PROMETHEUS_CONTENT_TYPE,
} from '../infra/metrics/registry.js';
import { CONTROL_PLANE_FAMILIES } from '../projections/api/metrics.js';

/**
 * Runs `work` with `/metrics` served on `XASSET_METRICS_PORT` when one is configured, so
 * Prometheus can scrape a long `process --follow` or a fetch: the Tushare, fetch and processor
 * families this process counts, and its process metrics. The control plane's families stay on
 * `serve`'s API, the one place that reads them from the projections.
 */
export async function withMetricsServer<T>(
  config: Config,
  logger: pino.Logger,
  work: () => Promise<T>,
): Promise<T> {
  const port = config.server.metricsPort;
  if (port === undefined) return work();
  collectProcessMetrics();
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    expositionWithout(CONTROL_PLANE_FAMILIES).then(
      (text) => response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(text),
      (err: unknown) => {
        logger.error({ err }, 'metrics scrape failed');
        response.writeHead(500).end();
      },
    );
  });
  // Longer than any scrape interval: a scraper's kept-alive connection is never closed under it as
  // it sends the next scrape (Node's 5 s default races a 1 s poll when the loop is busy).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new ConfigError([
          { path: 'server.metricsPort (XASSET_METRICS_PORT)', message: `cannot listen: ${err.message}` },
        ]),
      ),
    );
    server.listen(port, config.server.host, () => resolve());
  });
  const { address, port: bound } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  logger.info({ url: `http://${host}:${bound}/metrics` }, 'metrics served');
  try {
    return await work();
  } finally {
    // A scraper keeps its connection alive; close would wait for it otherwise.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

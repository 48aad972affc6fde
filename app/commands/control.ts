import { openRuntime } from '../runtime.js';
import { buildServer } from '../server.js';
import type { CommandContext } from './context.js';

/** The control plane: serve, flags, phase, gate (issue 4 fills these in). */
export function registerControlCommands({ program, config, logger }: CommandContext): void {
  program
    .command('serve')
    .description('serve the status API')
    .option('--port <port>', 'HTTP port (XASSET_HTTP_PORT)')
    .action(async (options: { port?: string }) => {
      if (options.port) program.setOptionValue('port', options.port);
      const cfg = config();
      const runtime = await openRuntime(cfg, { logger: logger(cfg) });
      const app = buildServer(runtime);
      const close = async () => {
        await app.close();
        await runtime.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void close());
      process.once('SIGTERM', () => void close());
      const address = await app.listen({ host: cfg.server.host, port: cfg.server.port });
      logger(cfg).info({ address }, 'serving');
    });
}

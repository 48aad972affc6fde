/**
 * Entry point of the detached PGlite service started by `pgliteService`: prints `ready <port>`
 * once it accepts connections, and flushes its data folder on SIGTERM/SIGINT.
 *
 *   node --import tsx infra/local/pglite-server.ts --data <dir> --port <port> [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import { openEmbeddedPglite } from '../store/embedded-pglite.js';

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

const embedded = await openEmbeddedPglite({ dataDir: values.data, port, host: values.host });
process.stdout.write(`ready ${embedded.port}\n`);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`pglite-server: ${signal}, closing`);
  try {
    await embedded.close();
  } catch (err) {
    console.error('pglite-server: close failed:', err);
    process.exit(1);
  }
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

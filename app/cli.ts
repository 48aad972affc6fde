import { Command, Option } from 'commander';
import pino from 'pino';
import { type Config, type EnvVarName, loadConfig } from '../contracts/config.js';
import { ConfigError, XassetError } from '../contracts/errors.js';
import type { LocalServiceContext, LocalServiceName } from '../infra/local/service.js';
import { SERVICE_NAMES, servicesDown, servicesStatus, servicesUp } from '../infra/local/stack.js';
import { checkHealth, type HealthReport } from './health.js';
import { openRuntime, type Runtime, setUp } from './runtime.js';
import { buildServer } from './server.js';

/** Global flags are another way to set a config variable; they win over the environment. */
const FLAG_TO_ENV: Record<string, EnvVarName> = {
  log: 'XASSET_LOG',
  databaseUrl: 'XASSET_DATABASE_URL',
  brokers: 'XASSET_KAFKA_BROKERS',
  registryUrl: 'XASSET_REGISTRY_URL',
  stateDir: 'XASSET_STATE_DIR',
  port: 'XASSET_HTTP_PORT',
};

const program = new Command('xasset')
  .description('tushare-xasset: event-sourced Tushare market-data pipeline')
  .addOption(
    new Option('--log <mode>', 'event log: embedded (PostgreSQL table) or kafka').choices([
      'embedded',
      'kafka',
    ]),
  )
  .option('--database-url <url>', 'PostgreSQL/TimescaleDB URL (default: embedded PGlite)')
  .option('--brokers <list>', 'Kafka brokers, host:port,…')
  .option('--registry-url <url>', 'Confluent-API schema registry base URL')
  .option('--state-dir <dir>', 'where embedded data, pid files and logs live')
  .showHelpAfterError();

/** Config is read once, here, from the environment and the global flags. */
function config(): Config {
  const flags = program.opts<Record<string, string | undefined>>();
  const overrides: Partial<Record<EnvVarName, string>> = {};
  for (const [flag, env] of Object.entries(FLAG_TO_ENV)) {
    const value = flags[flag];
    if (value !== undefined) overrides[env] = value;
  }
  return loadConfig(process.env, overrides);
}

function logger(cfg: Config) {
  return pino({ level: cfg.logLevel, base: undefined }, pino.destination(2));
}

function serviceContext(cfg: Config): LocalServiceContext {
  const log = logger(cfg);
  return {
    cacheDir: cfg.local.cacheDir,
    stateDir: cfg.local.stateDir,
    log: (line) => (process.stderr.isTTY ? process.stderr.write(`${line}\n`) : log.info(line)),
  };
}

const ports = (cfg: Config) => ({
  kafka: cfg.local.kafkaPort,
  registry: cfg.local.registryPort,
  pglite: cfg.local.pglitePort,
});

function serviceNames(names: string[]): LocalServiceName[] {
  if (names.length === 0) return SERVICE_NAMES;
  const unknown = names.filter((n) => !SERVICE_NAMES.includes(n as LocalServiceName));
  if (unknown.length > 0) {
    throw new ConfigError([
      { path: 'services', message: `unknown ${unknown.join(', ')}; known: ${SERVICE_NAMES.join(', ')}` },
    ]);
  }
  return names as LocalServiceName[];
}

async function withRuntime<T>(cfg: Config, work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(cfg, { logger: logger(cfg) });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

const services = program
  .command('services')
  .description('run the real Kafka, schema registry and PGlite locally');
services
  .command('up')
  .argument('[names...]', `services to start (${SERVICE_NAMES.join(', ')}); all when none`)
  .description('fetch (first run) and start services, wait until each answers')
  .action(async (names: string[]) => {
    const cfg = config();
    const started = await servicesUp(serviceContext(cfg), ports(cfg), serviceNames(names));
    print(started);
  });
services
  .command('down')
  .argument('[names...]', 'services to stop; all when none')
  .description('stop services started by `services up`, by the pid each recorded')
  .action(async (names: string[]) => {
    const cfg = config();
    print({ stopped: await servicesDown(serviceContext(cfg), serviceNames(names)) });
  });
services
  .command('status')
  .description('which services run, and whether each answers')
  .action(async () => {
    const cfg = config();
    print(await servicesStatus(serviceContext(cfg), ports(cfg)));
  });

program
  .command('migrate')
  .description('apply migrations, create topics, register schemas (Kafka mode); safe to rerun')
  .action(async () => {
    const cfg = config();
    const log = logger(cfg);
    await withRuntime(cfg, async (runtime) => {
      print(await setUp(runtime, (line) => log.info(line)));
    });
  });

program
  .command('health')
  .description('check the store, the log and the registry; exit 1 unless healthy')
  .action(async () => {
    const report = await withRuntime(config(), checkHealth);
    print(report);
    if (report.status !== 'ok') process.exitCode = 1;
  });

program
  .command('demo')
  .description('the embedded default, no servers needed: set up the store and log, then report health')
  .action(async () => {
    const cfg = config();
    const started = Date.now();
    const { setup, health } = await withRuntime(cfg, async (runtime) => ({
      setup: await setUp(runtime),
      health: await checkHealth(runtime),
    }));
    process.stdout.write(renderDemo(setup.migrations.applied.length, health, Date.now() - started));
    if (health.status !== 'ok') process.exitCode = 1;
  });

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

function renderDemo(appliedNow: number, health: HealthReport, ms: number): string {
  const rows: Array<[string, string]> = [
    ['status', health.status],
    [
      'event log',
      `${health.log.kind}, ${health.log.topicsExpected - health.log.topicsMissing.length} topics`,
    ],
    ['store', `${health.store.kind} (${health.store.storageMode ?? 'unknown'})`],
    ['hypertables', health.store.hypertables.join(', ') || 'none'],
    ['migrations', `${health.store.migrationsApplied} applied (${appliedNow} this run)`],
    ['took', `${(ms / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof XassetError) {
    process.stderr.write(`xasset: ${err.code}: ${err.message}\n`);
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  } else {
    throw err;
  }
}

import { createInterface } from 'node:readline/promises';
import type { Config } from '../../contracts/config.js';
import { ConfigError, ValidationError } from '../../contracts/errors.js';
import type { LocalServiceContext, LocalServiceName } from '../../infra/local/service.js';
import {
  SERVICE_NAMES,
  servicesDown,
  servicesReset,
  servicesStatus,
  servicesUp,
} from '../../infra/local/stack.js';
import { appendBaselines } from '../../projections/commands/baselines.js';
import { checkHealth } from '../health.js';
import { setUp } from '../runtime.js';
import type { CommandContext } from './context.js';

/** Local services, migrations and health: the operator's commands around the pipeline. */
export function registerServiceCommands({
  program,
  config,
  logger,
  withRuntime,
  print,
}: CommandContext): void {
  const serviceContext = (cfg: Config): LocalServiceContext => {
    const log = logger(cfg);
    return {
      cacheDir: cfg.local.cacheDir,
      stateDir: cfg.local.stateDir,
      log: (line) => (process.stderr.isTTY ? process.stderr.write(`${line}\n`) : log.info(line)),
    };
  };
  const ports = (cfg: Config) => ({
    kafka: cfg.local.kafkaPort,
    registry: cfg.local.registryPort,
    pglite: cfg.local.pglitePort,
  });

  const services = program
    .command('services')
    .description('run the real Kafka, schema registry and PGlite locally');
  services
    .command('up')
    .argument('[names...]', `services to start (${SERVICE_NAMES.join(', ')}); all when none`)
    .description('fetch (first run) and start services, wait until each answers')
    .action(async (names: string[]) => {
      const cfg = config();
      print(await servicesUp(serviceContext(cfg), ports(cfg), serviceNames(names)));
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
    .command('reset')
    .argument('[names...]', 'services to reset; all when none')
    .option('--yes', 'do not ask (required when not on a terminal)')
    .description('stop services and ERASE their data (topics, schemas, tables): a fresh, empty start')
    .action(async (names: string[], options: { yes?: boolean }) => {
      const cfg = config();
      const chosen = serviceNames(names);
      if (!options.yes) await confirmErase(chosen, cfg.local.stateDir);
      print(await servicesReset(serviceContext(cfg), chosen));
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
    .description(
      "apply migrations, create topics, register schemas (Kafka mode), append phase A's flags and rollback baselines; safe to rerun",
    )
    .action(async () => {
      const cfg = config();
      const log = logger(cfg);
      await withRuntime(cfg, async (runtime) => {
        const setup = await setUp(runtime, (line) => log.info(line));
        const baselines = await appendBaselines(
          { log: runtime.log, codec: runtime.codec },
          { actor: 'migrate', now: Date.now() },
        );
        print({ ...setup, baselines });
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
}

/**
 * The event log is the source of truth, so erasing it takes a typed "yes" on a terminal, and an
 * explicit --yes anywhere else (a script cannot answer a prompt).
 */
async function confirmErase(names: readonly LocalServiceName[], stateDir: string): Promise<void> {
  const refuse = (message: string) => new ValidationError('services reset', [{ path: '--yes', message }]);
  if (!process.stdin.isTTY) throw refuse('not on a terminal: pass --yes to erase the data');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(
      `This erases every topic, schema and table of ${names.join(', ')} in ${stateDir}. Type "yes" to go on: `,
    );
    if (answer.trim() !== 'yes') throw refuse('not confirmed; nothing was erased');
  } finally {
    prompt.close();
  }
}

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

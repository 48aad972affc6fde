import type { Command } from 'commander';
import pino from 'pino';
import { type Config, type EnvVarName, loadConfig } from '../../contracts/config.js';
import { openRuntime, type Runtime } from '../runtime.js';

/** Global flags are another way to set a config variable; they win over the environment. */
export const FLAG_TO_ENV: Record<string, EnvVarName> = {
  log: 'XASSET_LOG',
  databaseUrl: 'XASSET_DATABASE_URL',
  brokers: 'XASSET_KAFKA_BROKERS',
  registryUrl: 'XASSET_REGISTRY_URL',
  stateDir: 'XASSET_STATE_DIR',
  port: 'XASSET_HTTP_PORT',
  processorName: 'XASSET_PROCESSOR_NAME',
};

/** What every command module gets: config read once from env + global flags, and small helpers. */
export interface CommandContext {
  program: Command;
  config(): Config;
  logger(cfg: Config): pino.Logger;
  withRuntime<T>(cfg: Config, work: (runtime: Runtime) => Promise<T>): Promise<T>;
  print(value: unknown): void;
  /**
   * A command's result: the short summary for a person at a terminal, the full JSON document with
   * `--json` or when stdout is not a terminal (scripts, cron, pipes).
   */
  report(value: unknown, summary: () => string, options: { json?: boolean }): void;
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export function commandContext(program: Command): CommandContext {
  let cached: Config | undefined;
  const config = (): Config => {
    if (cached) return cached;
    const flags = program.opts<Record<string, string | undefined>>();
    const overrides: Partial<Record<EnvVarName, string>> = {};
    for (const [flag, env] of Object.entries(FLAG_TO_ENV)) {
      const value = flags[flag];
      if (value !== undefined) overrides[env] = value;
    }
    cached = loadConfig(process.env, overrides);
    return cached;
  };
  const logger = (cfg: Config) => pino({ level: cfg.logLevel, base: undefined }, pino.destination(2));
  return {
    program,
    config,
    logger,
    withRuntime: async (cfg, work) => {
      const runtime = await openRuntime(cfg, { logger: logger(cfg) });
      try {
        return await work(runtime);
      } finally {
        await runtime.close();
      }
    },
    print,
    report: (value, summary, options) => {
      if (options.json === true || !process.stdout.isTTY) print(value);
      else process.stdout.write(summary());
    },
  };
}

/** A command module adds its commands to the program; cli.ts lists the modules. */
export type RegisterCommands = (ctx: CommandContext) => void;

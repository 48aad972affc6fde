import { Command, Option } from 'commander';
import { ConfigError, XassetError } from '../contracts/errors.js';
import { commandContext } from './commands/context.js';
import { registerControlCommands } from './commands/control.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerServiceCommands } from './commands/services.js';

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

const ctx = commandContext(program);
registerServiceCommands(ctx);
registerPipelineCommands(ctx);
registerControlCommands(ctx);

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

import { Command, Option } from 'commander';
import { commandContext } from './commands/context.js';
import { registerControlCommands } from './commands/control.js';
import { registerDataCommands } from './commands/data.js';
import { registerGrayCommands } from './commands/gray.js';
import { registerMatrixCommands } from './commands/matrix.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerServiceCommands } from './commands/services.js';
import { type DependencySettings, reportFailure, wantsStacks } from './failure.js';

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
  .option(
    '--processor-name <name>',
    'consumer name of the processor (its Kafka group and stored offsets); instances under one name split the partitions',
  )
  // Set before the commands are added: subcommands inherit both. A usage error is one line that
  // names the input, with the same prefix as every other failure, and exit code 2 (not commander's 1).
  .exitOverride()
  .configureOutput({
    outputError: (text, write) =>
      write(`xasset: XASSET_USAGE: ${text.replace(/^error: /, '').trimEnd()} (see --help)\n`),
  });

const ctx = commandContext(program);
registerServiceCommands(ctx);
registerPipelineCommands(ctx);
registerControlCommands(ctx);
registerDataCommands(ctx);
registerMatrixCommands(ctx);
registerGrayCommands(ctx);

/** Addresses from the config, when it loaded, so a refused connection names its setting. */
function settings(): DependencySettings {
  try {
    const cfg = ctx.config();
    return {
      databaseUrl: cfg.database.url,
      kafkaBrokers: cfg.kafka.brokers,
      registryUrl: cfg.registry.url,
      tushareUrl: cfg.tushare.apiUrl,
    };
  } catch {
    return {};
  }
}

function fail(err: unknown): void {
  const report = reportFailure(err, settings());
  process.stderr.write(report.line);
  if (report.detail && wantsStacks()) process.stderr.write(report.detail);
  process.exitCode = report.exitCode;
}

// A failure in a background task (a client's reconnect loop) ends the same way as one in a command.
process.on('unhandledRejection', (reason) => {
  fail(reason);
  process.exit();
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err);
}

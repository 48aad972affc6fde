import { Option } from 'commander';
import { chinaDate } from '../../contracts/dates.js';
import { ADJUSTMENTS, type Adjustment, readAdjustedBars } from '../../projections/bars/adjusted.js';
import { setUp } from '../runtime.js';
import type { CommandContext } from './context.js';

/** Reading the stored market data back: adjusted bars. */
export function registerDataCommands(ctx: CommandContext): void {
  const { program, config, withRuntime, print } = ctx;

  program
    .command('bars')
    .description('stock bars from the store, forward (qfq) or backward (hfq) adjusted by adj_factor')
    .argument('[ts_code]', 'one stock (default: every stock)')
    .requiredOption('--from <YYYYMMDD>', 'first day')
    .option('--to <YYYYMMDD>', 'last day, and the qfq anchor (default: today in China)')
    .addOption(new Option('--adjust <how>', 'adjustment').choices([...ADJUSTMENTS]).default('qfq'))
    .action(async (tsCode: string | undefined, options: { from: string; to?: string; adjust: string }) => {
      await withRuntime(config(), async (runtime) => {
        await setUp(runtime);
        const bars = await readAdjustedBars(runtime.pool, {
          how: options.adjust as Adjustment,
          from: options.from,
          to: options.to ?? chinaDate(),
          ...(tsCode !== undefined && { tsCode }),
        });
        print(bars);
      });
    });
}

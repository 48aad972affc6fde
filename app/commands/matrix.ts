import { addDays, chinaDate, isYmd } from '../../contracts/dates.js';
import { StoreMatrixSource } from '../../projections/api/adapters.js';
import { PgProjectionReader } from '../../projections/api/pg-reader.js';
import { parseInput } from '../../projections/api/route.js';
import { ExplainQuery, MatrixQuery } from '../../projections/api/schemas.js';
import { matrixPools } from '../daily-job.js';
import { projectRun } from '../pipeline.js';
import { type Runtime, setUp } from '../runtime.js';
import type { CommandContext } from './context.js';

/** The status matrix and its explain payload, as `GET /matrix` and `GET /matrix/explain` serve them. */
export function registerMatrixCommands(ctx: CommandContext): void {
  const { program, config, withRuntime, print } = ctx;

  /** The matrix reads flags and phase from the projections: caught up with the log first. */
  const withMatrix = <T>(work: (source: StoreMatrixSource) => Promise<T>): Promise<T> =>
    withRuntime(config(), async (runtime: Runtime) => {
      await setUp(runtime);
      await projectRun(runtime);
      const reader = new PgProjectionReader(runtime.pool, { log: runtime.log });
      return work(new StoreMatrixSource(runtime.pool, reader, matrixPools(runtime)));
    });

  const matrix = program
    .command('matrix')
    .description(
      'the status matrix: module × trade date → complete / partial / missing / not_applicable, with each day’s publication state',
    )
    .option('--from <YYYYMMDD>', 'first day (default: two weeks before --to)')
    .option('--to <YYYYMMDD>', 'last day (default: today in China)')
    .option('--target <target>', "'universe' or comma-separated ts_codes", 'universe')
    .option('--modules <list>', 'comma-separated daily market endpoints (default: all)')
    .action((options: { from?: string; to?: string; target: string; modules?: string }) =>
      withMatrix(async (source) => {
        const to = options.to ?? chinaDate();
        const query = parseInput(
          MatrixQuery,
          {
            target: options.target,
            from: options.from ?? (isYmd(to) ? addDays(to, -13) : to),
            to,
            ...(options.modules !== undefined && { modules: options.modules }),
          },
          'command line',
        );
        print(await source.matrix(query));
      }),
    );

  matrix
    .command('explain')
    .description('why one cell has its status: expected, stored, publication state, revisions, last run')
    .argument('<module>', 'a daily market endpoint, e.g. daily')
    .argument('<tradeDate>', 'YYYYMMDD')
    .option('--target <target>', "'universe' or one ts_code", 'universe')
    .action((module: string, tradeDate: string, options: { target: string }) =>
      withMatrix(async (source) => {
        const query = parseInput(ExplainQuery, { target: options.target, module, tradeDate }, 'command line');
        print(await source.explain(query));
      }),
    );
}

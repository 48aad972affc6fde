import type { GrayView } from '../../projections/api/schemas.js';
import {
  type GrayCommandResult,
  promoteGray,
  rollbackGray,
  setGrayStage,
} from '../../projections/gray/commands.js';
import { gateRuns, grayReport } from '../gray.js';
import { projectRun } from '../pipeline.js';
import type { Runtime } from '../runtime.js';
import { facts } from '../summary.js';
import type { CommandContext } from './context.js';
import { controlRuntime } from './control.js';

type GrayReport = GrayView;

function grayFacts(report: GrayReport): string {
  const rows: [string, string][] = [
    ['phase', `${report.phase.current}${report.phase.frozen ? ' (frozen)' : ''}`],
    ['ladder', report.ladder.join(' → ')],
  ];
  for (const m of report.modules) {
    const pools = m.pools.map((p) => `${p.apiName} ${p.fetched}/${p.members}`).join(', ');
    const gate = m.gate ? `, gate ${m.gate.cleanDays}/${m.gate.requiredDays}` : '';
    rows.push([
      m.module,
      `${m.effective ? 'in force' : 'not in force'}, stage ${m.stage ?? 'not started'}${gate}`,
    ]);
    if (pools) rows.push(['  pools', pools]);
    if (m.next) rows.push(['  next', `${m.next.action} → ${m.next.to}: ${m.next.reason}`]);
    else if (m.waiting.length > 0) rows.push(['  waiting', m.waiting.map((w) => w.text).join('; ')]);
  }
  return facts(rows);
}

/** `xasset gray show | set | promote | rollback`: the P2 modules' stages (DESIGN §10). */
export function registerGrayCommands(ctx: CommandContext): void {
  const { program, print, report } = ctx;
  const withControl = controlRuntime(ctx);
  const portsOf = (runtime: Runtime) => ({ log: runtime.log, codec: runtime.codec });
  const stamp = (runtime: Runtime, module: string, options: { actor: string; reason: string }) => ({
    module,
    actor: options.actor,
    reason: options.reason,
    now: Date.now(),
    settings: runtime.config.gray,
  });

  const gray = program
    .command('gray')
    .description('gray release of the P2 modules: probe → canary → shares → full');
  gray
    .command('show')
    .description('each P2 module: its stage, its pool at that stage, its gate and its next step')
    .option('--json', 'the full JSON document')
    .action((options: { json?: boolean }) =>
      withControl(async (runtime) => {
        const shown = await grayReport(runtime);
        report(shown, () => grayFacts(shown), options);
      }),
    );

  /** A command that moves one module: its reason and actor recorded, the step it took printed. */
  const stageCommand = (name: string, description: string, args: readonly [string, string][]) =>
    args
      .reduce((cmd, [arg, help]) => cmd.argument(arg, help), gray.command(name).description(description))
      .requiredOption('--reason <text>', 'why, kept with the change')
      .option('--actor <name>', 'who, kept with the change', 'cli');
  const moved = async (runtime: Runtime, step: Promise<GrayCommandResult>) => {
    const result = await step;
    await projectRun(runtime);
    print({ module: result.module, from: result.from, to: result.to, offsets: result.offsets });
  };
  type Options = { reason: string; actor: string };
  const MODULE: [string, string] = ['<module>', 'a p2 sub-switch, e.g. p2RealtimeEquityEtfV1'];

  stageCommand('set', 'put a module on a stage of the ladder by hand (appends GrayStageChanged)', [
    MODULE,
    ['<stage>', 'probe, canary, share:<percent> or full'],
  ]).action((module: string, stage: string, options: Options) =>
    withControl((runtime) =>
      moved(runtime, setGrayStage(portsOf(runtime), { ...stamp(runtime, module, options), stage })),
    ),
  );

  stageCommand(
    'promote',
    "one stage up, only when the stage's gate holds (or, at probe, every probe passed)",
    [MODULE],
  ).action((module: string, options: Options) =>
    withControl(async (runtime) =>
      moved(
        runtime,
        promoteGray(portsOf(runtime), {
          ...stamp(runtime, module, options),
          runs: await gateRuns(runtime),
          minCoverage: runtime.config.gates.minCoverage,
        }),
      ),
    ),
  );

  stageCommand('rollback', 'one stage down, to the previous stage (the switch stays as it is)', [
    MODULE,
  ]).action((module: string, options: Options) =>
    withControl((runtime) => moved(runtime, rollbackGray(portsOf(runtime), stamp(runtime, module, options)))),
  );
}

import { grayEndpoints, grayLadder, grayMembers } from '../../contracts/gray.js';
import { StoreMatrixSource } from '../../projections/api/adapters.js';
import { PgGateSnapshotSource } from '../../projections/api/gate-snapshot.js';
import { PgProjectionReader } from '../../projections/api/pg-reader.js';
import { explainConditions } from '../../projections/gates/conditions.js';
import { promoteGray, rollbackGray, setGrayStage } from '../../projections/gray/commands.js';
import { type GateRuns, grayView } from '../../projections/gray/decide.js';
import { foldControlLog } from '../../projections/log/control-view.js';
import { matrixPools } from '../daily-job.js';
import { projectRun } from '../pipeline.js';
import { type Runtime, setUp } from '../runtime.js';
import { facts } from '../summary.js';
import type { CommandContext } from './context.js';

/** The runs and open dates the gates read, from the projection tables. */
export function gateRuns(runtime: Runtime): Promise<GateRuns> {
  const matrix = new StoreMatrixSource(runtime.pool, new PgProjectionReader(runtime.pool));
  return new PgGateSnapshotSource(runtime.pool, matrix, runtime.config.gates).gateRuns();
}

/**
 * Every P2 module's gray release as `xasset gray show` and `GET /gray` give it: its stage, the pool
 * it fetches at that stage beside the whole pool, its gate, and the step the evaluator takes next.
 */
export async function grayReport(runtime: Runtime) {
  const state = await foldControlLog({ log: runtime.log, codec: runtime.codec });
  const settings = runtime.config.gray;
  const views = grayView(state, await gateRuns(runtime), settings, runtime.config.gates.minCoverage);
  const pools = await matrixPools(runtime)();
  return {
    phase: { current: state.phases.phase, frozen: state.phases.frozen },
    ladder: grayLadder(settings),
    requiredDays: settings.requiredDays,
    modules: views.map((v) => ({
      module: v.module,
      effective: v.effective,
      stage: v.stage,
      since: v.since,
      share: v.share,
      allowList: v.allowList,
      pools: grayEndpoints(v.module).flatMap((spec) => {
        const members = pools[spec.apiName];
        if (members === undefined) return [];
        const fetched = v.stage === null ? [] : grayMembers(v.module, v.stage, members, settings);
        return [{ apiName: spec.apiName, members: members.length, fetched: fetched.length }];
      }),
      gate: v.gate && {
        passed: v.gate.passed,
        cleanDays: v.gate.cleanDays,
        requiredDays: v.gate.requiredDays,
        failures: v.gate.failures,
      },
      probesMissing: v.probesMissing,
      next: v.next && { action: v.next.action, to: v.next.to, reason: v.next.reason },
      waiting: explainConditions(v.waiting),
    })),
  };
}

type GrayReport = Awaited<ReturnType<typeof grayReport>>;

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
  const { program, config, withRuntime, print, report } = ctx;
  const withControl = <T>(work: (runtime: Runtime) => Promise<T>): Promise<T> =>
    withRuntime(config(), async (runtime) => {
      await setUp(runtime);
      await projectRun(runtime);
      return work(runtime);
    });
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

  gray
    .command('set')
    .description('put a module on a stage of the ladder by hand (appends GrayStageChanged)')
    .argument('<module>', 'a p2 sub-switch, e.g. p2RealtimeEquityEtfV1')
    .argument('<stage>', 'probe, canary, share:<percent> or full')
    .requiredOption('--reason <text>', 'why, kept with the change')
    .option('--actor <name>', 'who, kept with the change', 'cli')
    .action((module: string, stage: string, options: { reason: string; actor: string }) =>
      withControl(async (runtime) => {
        const result = await setGrayStage(portsOf(runtime), { ...stamp(runtime, module, options), stage });
        await projectRun(runtime);
        print({ module: result.module, from: result.from, to: result.to, offsets: result.offsets });
      }),
    );

  gray
    .command('promote')
    .description("one stage up, only when the stage's gate holds (or, at probe, every probe passed)")
    .argument('<module>', 'a p2 sub-switch')
    .requiredOption('--reason <text>', 'why, kept with the change')
    .option('--actor <name>', 'who, kept with the change', 'cli')
    .action((module: string, options: { reason: string; actor: string }) =>
      withControl(async (runtime) => {
        const result = await promoteGray(portsOf(runtime), {
          ...stamp(runtime, module, options),
          runs: await gateRuns(runtime),
          minCoverage: runtime.config.gates.minCoverage,
        });
        await projectRun(runtime);
        print({ module: result.module, from: result.from, to: result.to, offsets: result.offsets });
      }),
    );

  gray
    .command('rollback')
    .description('one stage down, to the previous stage (the switch stays as it is)')
    .argument('<module>', 'a p2 sub-switch')
    .requiredOption('--reason <text>', 'why, kept with the change')
    .option('--actor <name>', 'who, kept with the change', 'cli')
    .action((module: string, options: { reason: string; actor: string }) =>
      withControl(async (runtime) => {
        const result = await rollbackGray(portsOf(runtime), stamp(runtime, module, options));
        await projectRun(runtime);
        print({ module: result.module, from: result.from, to: result.to, offsets: result.offsets });
      }),
    );
}

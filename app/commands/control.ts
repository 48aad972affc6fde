import { type ApiName, type EndpointSpec, endpoint } from '../../contracts/catalog/index.js';
import type { Config } from '../../contracts/config.js';
import { chinaDate, isYmd } from '../../contracts/dates.js';
import { CommandRefusedError, TusharePermissionError, ValidationError } from '../../contracts/errors.js';
import { FLAG_NAMES, type FlagName, type RolloutFlags } from '../../contracts/flags.js';
import { grayEndpoints, isGrayModule } from '../../contracts/gray.js';
import { CALENDAR_API, calendarParams, planFetch } from '../../producers/fetch/planner.js';
import type { TushareParams, TushareSource } from '../../producers/tushare/source.js';
import { takeGateSnapshot } from '../../projections/api/adapters.js';
import { storeFoundation } from '../../projections/api/foundation.js';
import { PgProjectionReader } from '../../projections/api/pg-reader.js';
import { type FlagChanges, recordProbe, rollbackFlags, setFlags } from '../../projections/commands/flags.js';
import { advancePhaseThroughGates } from '../../projections/commands/phase-gates.js';
import { explainConditions } from '../../projections/gates/conditions.js';
import { decideAdvance, EXIT_GATE } from '../../projections/gates/phases.js';
import { foldControlLog } from '../../projections/log/control-view.js';
import { evaluateOnce } from '../../projections/policy/evaluator.js';
import { switchStates } from '../../projections/policy/switches.js';
import { reapStaleRuns } from '../../projections/reaper/reaper.js';
import { verifyProjections } from '../../projections/replay/rebuild.js';
import {
  flagsChangeFacts,
  flagsFacts,
  flagsHistoryFacts,
  gateEvaluateFacts,
  gateSnapshotFacts,
  phaseAdvanceFacts,
  phaseFacts,
  probeFacts,
  reapFacts,
  verifyFacts,
} from '../control-summary.js';
import { matrixPools } from '../daily-job.js';
import { exitVerdict } from '../phase.js';
import { processedTopics, projectRun, startConfiguredSandbox, tushareSource } from '../pipeline.js';
import { type Runtime, setUp } from '../runtime.js';
import { startStatusService } from '../serve.js';
import { facts } from '../summary.js';
import { positiveInt } from './args.js';
import type { CommandContext } from './context.js';

/** An integer under this is a control-log offset; from it on, ms since the epoch (1973-03-03). */
const FIRST_MS = 100_000_000_000;

/** Store and log set up, projections caught up with the log: what every control command reads. */
export const controlRuntime =
  (ctx: Pick<CommandContext, 'config' | 'withRuntime'>) =>
  <T>(work: (runtime: Runtime) => Promise<T>): Promise<T> =>
    ctx.withRuntime(ctx.config(), async (runtime) => {
      await setUp(runtime);
      await projectRun(runtime);
      return work(runtime);
    });

/** The control plane: serve, gate, flags, phase, probe, projections, reap. */
export function registerControlCommands(ctx: CommandContext): void {
  const { program, config, logger, withRuntime, report } = ctx;
  const JSON_HELP = 'print the full JSON document (the default when stdout is not a terminal)';

  const withControl = controlRuntime(ctx);
  const portsOf = (runtime: Runtime) => ({ log: runtime.log, codec: runtime.codec });
  const reader = (runtime: Runtime) => new PgProjectionReader(runtime.pool, { log: runtime.log });

  program
    .command('serve')
    .description('serve the status API, keep the projections current and reap stale runs')
    .option('--port <port>', 'HTTP port (XASSET_HTTP_PORT)')
    .action(async (options: { port?: string }) => {
      if (options.port) program.setOptionValue('port', options.port);
      const cfg = config();
      const log = logger(cfg);
      await withRuntime(cfg, async (runtime) => {
        await setUp(runtime);
        const service = await startStatusService(runtime, {
          logger: log,
          host: cfg.server.host,
          port: cfg.server.port,
        });
        process.stdout.write(`${service.address}\n`);
        log.info({ address: service.address }, 'serving');
        await untilSignal();
        await service.stop();
      });
    });

  const gate = program.command('gate').description('gate evaluations');
  gate
    .command('snapshot')
    .description('every gate on both clocks, as GET /gates/snapshot serves it')
    .option('--as-of <YYYYMMDD>', 'evaluate the as-of clock at this trade date')
    .option('--json', JSON_HELP)
    .action(async (options: { asOf?: string; json?: boolean }) => {
      if (options.asOf !== undefined && !isYmd(options.asOf))
        throw new ValidationError('command line', [
          { path: '--as-of', message: 'expected a date as YYYYMMDD' },
        ]);
      await withControl(async (runtime) => {
        const snapshot = await takeGateSnapshot(
          runtime.pool,
          runtime.config.gates,
          options.asOf ?? null,
          undefined,
          matrixPools(runtime),
          storeFoundation(runtime.pool, runtime.log),
        );
        report(snapshot, () => facts(gateSnapshotFacts(snapshot)), options);
      });
    });

  gate
    .command('evaluate')
    .description(
      'one evaluator round: record changed gate verdicts, raise or close threshold alerts, freeze a regressed phase',
    )
    .option('--actor <name>', 'who, kept with what is appended', 'cli')
    .option('--json', JSON_HELP)
    .action((options: { actor: string; json?: boolean }) =>
      withControl(async (runtime) => {
        const result = await evaluateOnce(
          { ...portsOf(runtime), pool: runtime.pool },
          {
            gates: runtime.config.gates,
            alerts: runtime.config.alerts,
            consumer: { name: runtime.config.pipeline.processorName, topics: processedTopics() },
            actor: options.actor,
            now: Date.now(),
            pools: matrixPools(runtime),
            gray: runtime.config.gray,
          },
        );
        await projectRun(runtime);
        const evaluated = {
          gray: result.gray,
          offsets: result.offsets,
          gates: result.recorded,
          alertsRaised: result.raised,
          alertsResolved: result.resolved,
          freeze: result.freeze,
          postVerification: result.postVerification,
          appended: result.events.map((e) => e.type),
        };
        report(evaluated, () => facts(gateEvaluateFacts(evaluated)), options);
      }),
    );

  const flags = program.command('flags').description('rollout flags (rollout_flags_v1)');
  flags
    .command('show')
    .description('stored and effective flags, as GET /flags serves them')
    .option('--json', JSON_HELP)
    .action((options: { json?: boolean }) =>
      withControl(async (runtime) => {
        const view = await reader(runtime).readFlags();
        report(view, () => facts(flagsFacts(view)), options);
      }),
    );

  flags
    .command('set')
    .description('change switches (appends FlagsChanged): name=true|false …')
    .argument('<changes...>', 'switches as name=true or name=false')
    .requiredOption('--reason <text>', 'why, kept with the change')
    .option('--actor <name>', 'who, kept with the change', 'cli')
    .option('--json', JSON_HELP)
    .action((changes: string[], options: { reason: string; actor: string; json?: boolean }) => {
      const parsed = parseChanges(changes);
      return withControl(async (runtime) => {
        const result = await setFlags(portsOf(runtime), {
          changes: parsed,
          actor: options.actor,
          reason: options.reason,
          now: Date.now(),
        });
        await projectRun(runtime);
        const reply = flagsReply(result);
        report(reply, () => facts(flagsChangeFacts(reply)), options);
      });
    });

  flags
    .command('history')
    .description('every flags change, newest first, as GET /flags/history serves them')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', JSON_HELP)
    .action((options: { limit: string; json?: boolean }) => {
      const limit = positiveInt(options.limit, '--limit');
      return withControl(async (runtime) => {
        const history = await reader(runtime).readFlagsHistory(limit);
        report(history, () => facts(flagsHistoryFacts(history)), options);
      });
    });

  flags
    .command('rollback')
    .description('restore the flags in force at an earlier point (appends FlagsChanged)')
    .requiredOption(
      '--to <point>',
      `a control-log offset, an ISO time, or ms since the epoch (integers from ${FIRST_MS} on)`,
    )
    .requiredOption('--reason <text>', 'why, kept with the change')
    .option('--actor <name>', 'who, kept with the change', 'cli')
    .option('--json', JSON_HELP)
    .action((options: { to: string; reason: string; actor: string; json?: boolean }) => {
      const to = parsePoint(options.to);
      return withControl(async (runtime) => {
        const result = await rollbackFlags(portsOf(runtime), {
          to,
          actor: options.actor,
          reason: options.reason,
          now: Date.now(),
        });
        await projectRun(runtime);
        const reply = { ...flagsReply(result), restoredFromOffset: result.restoredFromOffset };
        report(reply, () => facts(flagsChangeFacts(reply)), options);
      });
    });

  const phase = program.command('phase').description('the roadmap phases A → B → C → D → E');
  phase
    .command('show')
    .description(
      'the current phase, whether it is frozen, what may run, and every condition the next phase still needs, in words',
    )
    .option('--json', JSON_HELP)
    .action((options: { json?: boolean }) =>
      withControl(async (runtime) => {
        const state = await foldControlLog(portsOf(runtime));
        const { phase: current, frozen, frozenReason } = state.phases;
        const { exit, held } = await exitVerdict(runtime, state);
        const decision = decideAdvance(current, frozen, exit, held);
        const unmet = decision.allowed ? [] : decision.reasons;
        const shown = {
          current,
          frozen,
          frozenReason,
          exitGate: EXIT_GATE[current],
          next: decision.allowed ? decision.to : null,
          mayAdvance: decision.allowed,
          unmet: explainConditions(unmet),
          switches: switchStates(state.flags.current, state.phases),
        };
        report(shown, () => facts(phaseFacts(shown)), options);
      }),
    );

  phase
    .command('advance')
    .description("one phase forward through the current phase's exit gate (refused while it fails)")
    .option('--actor <name>', 'who, kept with the change', 'cli')
    .option('--json', JSON_HELP)
    .action((options: { actor: string; json?: boolean }) =>
      withControl(async (runtime) => {
        const ports = portsOf(runtime);
        const state = await foldControlLog(ports);
        const { phase: from, frozen } = state.phases;
        const { exit, held } = await exitVerdict(runtime, state);
        try {
          const result = await advancePhaseThroughGates(ports, {
            actor: options.actor,
            now: Date.now(),
            exit,
            held,
          });
          await projectRun(runtime);
          const advanced = {
            advanced: true as const,
            from,
            to: result.phase,
            liftedFreeze: frozen,
            exit,
            offsets: result.offsets,
          };
          report(advanced, () => facts(phaseAdvanceFacts(advanced)), options);
        } catch (err) {
          if (err instanceof CommandRefusedError) {
            const refused = {
              advanced: false as const,
              phase: from,
              frozen,
              exit,
              reasons: err.reasons,
              unmet: explainConditions(err.reasons),
            };
            report(refused, () => facts(phaseAdvanceFacts(refused)), options);
          }
          throw err;
        }
      }),
    );

  program
    .command('probe')
    .description(
      'call an endpoint (or every endpoint of a P2 module) once with a tiny query and record whether the permission is there',
    )
    .argument('<api_name>', 'a catalog api_name, e.g. stk_premarket, or a P2 module, e.g. p2RealtimeIndexV1')
    .option('--sandbox', 'call an in-process sandbox instead of TUSHARE_API_URL')
    .option(
      '--ts-code <code>',
      'the instrument for endpoints fetched per instrument (default: one of its pool)',
    )
    .option('--params <json>', 'the exact params to send instead of the planned tiny query')
    .option('--actor <name>', 'who, kept with the result', 'cli')
    .option('--json', JSON_HELP)
    .action(
      async (
        target: string,
        options: { sandbox?: boolean; tsCode?: string; params?: string; actor: string; json?: boolean },
      ) => {
        const specs = isGrayModule(target) ? grayEndpoints(target) : [endpoint(target)];
        const given = options.params ? parseParams(options.params) : undefined;
        const cfg = config();
        await withRuntime(cfg, async (runtime) => {
          await setUp(runtime);
          const pools = options.tsCode === undefined ? await matrixPools(runtime)() : {};
          const results = await withSource(cfg, options.sandbox === true, logger, async (source) => {
            const out = [];
            for (const spec of specs) {
              const tsCode = options.tsCode ?? pools[spec.apiName]?.[0];
              const params = given ?? probeParams(spec, chinaDate(), tsCode);
              const outcome = await probeOnce(source, spec.apiName as ApiName, params);
              const recorded = await recordProbe(portsOf(runtime), {
                apiName: spec.apiName,
                ...outcome,
                actor: options.actor,
                now: Date.now(),
              });
              out.push({ apiName: spec.apiName, params, ...outcome, offset: recorded.offsets[0] ?? null });
            }
            return out;
          });
          await projectRun(runtime);
          const shown = results.length === 1 ? results[0] : { module: target, probes: results };
          report(shown, () => facts(results.flatMap((probed) => probeFacts(probed))), options);
        });
      },
    );

  const projections = program.command('projections').description('the projection tables');
  projections
    .command('verify')
    .description('rebuild every projection from offset 0 into fresh tables and compare (exit 1 if different)')
    .option('--json', JSON_HELP)
    .action((options: { json?: boolean }) =>
      withRuntime(config(), async (runtime) => {
        await setUp(runtime);
        const verified = await verifyProjections({ ...portsOf(runtime), pool: runtime.pool });
        report(verified, () => facts(verifyFacts(verified)), options);
        if (!verified.equal) process.exitCode = 1;
      }),
    );

  program
    .command('reap')
    .description('close runs silent past their heartbeat timeout as abandoned, once')
    .option('--timeout-ms <ms>', "override every run's own heartbeat timeout")
    .option('--json', JSON_HELP)
    .action((options: { timeoutMs?: string; json?: boolean }) => {
      const timeoutMs =
        options.timeoutMs === undefined ? undefined : positiveInt(options.timeoutMs, '--timeout-ms');
      return withControl(async (runtime) => {
        const result = await reapStaleRuns(portsOf(runtime), { now: Date.now(), timeoutMs });
        await projectRun(runtime);
        const reaped = { reaped: result.reaped, offsets: result.offsets };
        report(reaped, () => facts(reapFacts(reaped)), options);
      });
    });
}

function parseChanges(args: readonly string[]): FlagChanges {
  const changes: Partial<Record<string, boolean>> = {};
  const issues: { path: string; message: string }[] = [];
  for (const arg of args) {
    const match = /^([A-Za-z0-9]+)=(true|false)$/.exec(arg);
    if (!match) issues.push({ path: arg, message: 'expected name=true or name=false' });
    else changes[match[1] as string] = match[2] === 'true';
  }
  if (issues.length > 0) throw new ValidationError('flag changes', issues);
  // Unknown names are left for setFlags to refuse, with the same message the API gives.
  return changes as FlagChanges;
}

function parsePoint(text: string): { offset: number } | { time: number } {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (Number.isSafeInteger(value)) return value < FIRST_MS ? { offset: value } : { time: value };
  } else {
    const time = Date.parse(text);
    if (Number.isFinite(time) && /^\d{4}-\d{2}-\d{2}/.test(text)) return { time };
  }
  throw new ValidationError('command line', [
    { path: '--to', message: 'an offset, an ISO time (2026-01-05T08:00:00Z) or ms since the epoch' },
  ]);
}

function parseParams(text: string): TushareParams {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const ok =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number');
  if (!ok)
    throw new ValidationError('command line', [
      { path: '--params', message: 'a JSON object of string or number values' },
    ]);
  return value as TushareParams;
}

/**
 * The smallest query the fetch planner would send for the endpoint on one day: one trade date,
 * one window, one instrument. Permission is per endpoint, so what the day holds does not matter.
 */
function probeParams(spec: EndpointSpec, day: string, tsCode?: string): TushareParams {
  if (spec.apiName === CALENDAR_API) return calendarParams(day, day);
  const everything = Object.fromEntries(FLAG_NAMES.map((name) => [name, true])) as Record<FlagName, boolean>;
  const { tasks } = planFetch({
    endpoints: [spec.apiName],
    from: day,
    to: day,
    openDates: [day],
    flags: { ...everything, updatedAt: 0 } as RolloutFlags,
    cursors: {},
    force: true,
    today: day,
    ...(tsCode !== undefined && { pools: { [spec.apiName]: [tsCode] } }),
  });
  const first = tasks[0];
  if (!first)
    throw new ValidationError('probe', [
      { path: '--ts-code', message: `${spec.apiName} is fetched per instrument: name one with --ts-code` },
    ]);
  return first.params;
}

type ProbeOutcome = { passed: boolean; tushareCode: number | null; message: string | null };

/**
 * One page of the endpoint. A permission refusal is the answer a probe looks for; every other
 * failure (token, rate limit, network) says nothing about the permission and is thrown.
 */
async function probeOnce(
  source: TushareSource,
  apiName: ApiName,
  params: TushareParams,
): Promise<ProbeOutcome> {
  try {
    for await (const _page of source.pages(apiName, params)) break;
    return { passed: true, tushareCode: null, message: null };
  } catch (err) {
    if (!(err instanceof TusharePermissionError)) throw err;
    const code = err.details.tushareCode;
    return { passed: false, tushareCode: typeof code === 'number' ? code : null, message: err.message };
  }
}

async function withSource<T>(
  cfg: Config,
  useSandbox: boolean,
  logger: CommandContext['logger'],
  work: (source: TushareSource) => Promise<T>,
): Promise<T> {
  if (!useSandbox) {
    const log = logger(cfg).child({ component: 'tushare' });
    return work(tushareSource(cfg, { log: (level, msg, fields) => log[level](fields, msg) }));
  }
  const sandbox = await startConfiguredSandbox(cfg, { port: 0 });
  try {
    return await work(tushareSource(cfg, { apiUrl: sandbox.url }));
  } finally {
    await sandbox.close();
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** What a flags change answers, as `POST /flags` does: where it landed and the state it left. */
function flagsReply(result: {
  offsets: readonly number[];
  changed: boolean;
  flags: RolloutFlags;
  effective: RolloutFlags;
}) {
  return {
    offset: result.offsets.at(-1) ?? null,
    changed: result.changed,
    stored: result.flags,
    effective: result.effective,
    updatedAt: result.flags.updatedAt,
  };
}

import { Option } from 'commander';
import { API_NAMES, isApiName } from '../../contracts/catalog/index.js';
import { type Config, ConfigSchema } from '../../contracts/config.js';
import { addDays, chinaDate, isYmd } from '../../contracts/dates.js';
import { ValidationError } from '../../contracts/errors.js';
import type { ProcessStats } from '../../processors/processor.js';
import { parseResetSpec } from '../../processors/reset-offsets.js';
import type { JobStage } from '../../producers/fetch/job.js';
import type { EndpointSelection } from '../../producers/fetch/planner.js';
import {
  createProgressRenderer,
  type FetchProgress,
  formatProgressLine,
  type ProgressLogger,
  type ProgressRenderer,
} from '../../producers/fetch/progress.js';
import { formatChinaTime } from '../../producers/fetch/realtime.js';
import type { Sandbox } from '../../producers/sandbox/server.js';
import type { SourceLog } from '../../producers/tushare/client.js';
import { type JobResult, runJob } from '../daily-job.js';
import { renderDemoSummary, summarizeStore } from '../demo.js';
import { exitCodeOfRun } from '../failure.js';
import { withMetricsServer } from '../metrics-server.js';
import { bootstrapToB } from '../phase.js';
import {
  incrementalRange,
  processRun,
  projectRun,
  resetProcessorOffsets,
  startConfiguredSandbox,
  tushareSource,
} from '../pipeline.js';
import { clockFrom, type RealtimeResult, runRealtime } from '../realtime.js';
import type { Runtime } from '../runtime.js';
import { setUp } from '../runtime.js';
import { startStatusService } from '../serve.js';
import {
  boundCatchUp,
  CATCH_UP_CONFIRM_DAYS,
  catchUpFacts,
  facts,
  jobFacts,
  jobNote,
  processFacts,
} from '../summary.js';
import { positiveInt } from './args.js';
import type { CommandContext } from './context.js';

interface FetchOptions {
  batch?: string;
  apis?: string;
  from?: string;
  to?: string;
  force?: boolean;
  forcePhase?: string;
  sandbox?: boolean;
  json?: boolean;
}

interface RealtimeOptions {
  realtime?: boolean;
  follow?: string;
  at?: string;
}

interface RunOptions extends FetchOptions {
  maxDays?: string;
  yes?: boolean;
}

const BATCHES = ['p0', 'p1', 'p2'];

/** The sandbox command's flags by the config key they set, to name the flag a bad value came from. */
const SANDBOX_FLAGS: Record<string, string> = {
  port: '--port',
  size: '--size',
  seed: '--seed',
  recordedDir: '--recorded-dir',
  faultsFile: '--faults',
};

/** The run narrowed by hand, or undefined for the whole daily job. */
function selection(options: FetchOptions): EndpointSelection | undefined {
  if (!options.apis) return options.batch as EndpointSelection | undefined;
  const apis = options.apis.split(',').map((a) => a.trim());
  const unknown = apis.filter((a) => !isApiName(a));
  if (unknown.length > 0) {
    throw new ValidationError('command line', [
      {
        path: '--apis',
        message: `not in the catalog: ${unknown.join(', ')}; known: ${API_NAMES.join(', ')}`,
      },
    ]);
  }
  return apis;
}

/** A person at a terminal who can be asked, not cron or a pipe. */
const interactive = (): boolean => process.stdin.isTTY === true && process.stdout.isTTY === true;

function checkForcePhase(options: FetchOptions): void {
  if (options.forcePhase !== undefined && options.forcePhase.trim() === '')
    throw new ValidationError('command line', [
      { path: '--force-phase', message: 'the reason, recorded with the run: non-empty text' },
    ]);
}

function checkDates(options: { from?: string; to?: string }): void {
  const issues = (['from', 'to'] as const)
    .filter((k) => options[k] !== undefined && !isYmd(options[k] as string))
    .map((k) => ({ path: `--${k}`, message: 'expected a date as YYYYMMDD' }));
  if (options.from && options.to && isYmd(options.from) && isYmd(options.to) && options.from > options.to)
    issues.push({ path: '--from', message: 'must not be after --to' });
  if (issues.length > 0) throw new ValidationError('command line', issues);
}

/**
 * `--realtime`, `--follow <seconds>` and `--at <ISO time>`: undefined for a history fetch. `--at`
 * must carry its offset (`Z`, `+08:00`): a time without one would depend on the machine's zone.
 */
function realtimeOf(options: FetchOptions & RealtimeOptions): { follow?: number; at?: number } | undefined {
  const realtime = options.realtime === true || options.follow !== undefined;
  if (!realtime) {
    if (options.at !== undefined)
      throw new ValidationError('command line', [
        { path: '--at', message: 'only with --realtime or --follow' },
      ]);
    return undefined;
  }
  const issues = (['batch', 'apis', 'from', 'to', 'force'] as const)
    .filter((k) => options[k] !== undefined)
    .map((k) => ({
      path: `--${k}`,
      message: "not with --realtime: realtime data is today's, per gray module",
    }));
  if (issues.length > 0) throw new ValidationError('command line', issues);
  const follow = options.follow === undefined ? undefined : positiveInt(options.follow, '--follow');
  if (options.at === undefined) return { ...(follow !== undefined && { follow }) };
  const at = Date.parse(options.at);
  if (!/(?:Z|[+-]\d\d:?\d\d)$/i.test(options.at.trim()) || Number.isNaN(at))
    throw new ValidationError('command line', [
      { path: '--at', message: 'an ISO time with its offset, e.g. 2026-12-02T10:00:00+08:00' },
    ]);
  return { ...(follow !== undefined && { follow }), at };
}

/** The data path: sandbox, fetch, process, run, demo. */
export function registerPipelineCommands(ctx: CommandContext): void {
  const { program, config, logger, withRuntime, report } = ctx;
  // The data path's commands serve their own /metrics while they work, when a port is configured.
  const withPipelineRuntime: typeof withRuntime = (cfg, work) =>
    withMetricsServer(cfg, logger(cfg), () => withRuntime(cfg, work));

  program
    .command('sandbox')
    .description(
      'serve the Tushare sandbox: a synthetic market (or recorded data) over the Tushare Pro protocol',
    )
    .option('--port <port>', 'listen port (XASSET_SANDBOX_PORT)')
    .addOption(new Option('--size <size>', 'synthetic market size').choices(['tiny', 'small', 'default']))
    .option('--seed <n>', 'seed of the synthetic market')
    .option('--recorded-dir <dir>', 'serve a folder of recorded Tushare output instead')
    .option('--faults <file>', 'JSON fault plan')
    .action(
      async (options: {
        port?: string;
        size?: string;
        seed?: string;
        recordedDir?: string;
        faults?: string;
      }) => {
        const base = config();
        const parsed = ConfigSchema.shape.sandbox.safeParse({
          ...base.sandbox,
          ...(options.port !== undefined && { port: options.port }),
          ...(options.size !== undefined && { size: options.size }),
          ...(options.seed !== undefined && { seed: options.seed }),
          ...(options.recordedDir !== undefined && { recordedDir: options.recordedDir }),
          ...(options.faults !== undefined && { faultsFile: options.faults }),
        });
        if (!parsed.success)
          throw new ValidationError(
            'command line',
            parsed.error.issues.map((i) => ({
              path: SANDBOX_FLAGS[String(i.path[0])] ?? '',
              message: i.message,
            })),
          );
        const cfg: Config = { ...base, sandbox: parsed.data };
        const sandbox = await startConfiguredSandbox(cfg);
        logger(cfg).info(
          { url: sandbox.url, size: cfg.sandbox.size, seed: cfg.sandbox.seed },
          'sandbox serving',
        );
        process.stdout.write(`${sandbox.url}\n`);
        await untilSignal();
        await sandbox.close();
      },
    );

  const withSource = async <T>(
    cfg: Config,
    useSandbox: boolean,
    work: (source: ReturnType<typeof tushareSource>, sandbox?: Sandbox) => Promise<T>,
    runtime?: Runtime,
  ): Promise<T> => {
    const log = logger(cfg).child({ component: 'tushare' });
    const sourceLog: SourceLog = (level, msg, fields) => log[level](fields, msg);
    const shared = runtime === undefined ? {} : { runtime };
    if (!useSandbox) return work(tushareSource(cfg, { log: sourceLog, ...shared }));
    // An in-process sandbox is this command's own: its budget is not shared with anyone.
    const sandbox = await startConfiguredSandbox(cfg, { port: 0 });
    try {
      return await work(tushareSource(cfg, { apiUrl: sandbox.url }), sandbox);
    } finally {
      await sandbox.close();
    }
  };

  const fetchAction = async (
    runtime: Runtime,
    options: FetchOptions,
    signal: AbortSignal,
  ): Promise<JobResult> => {
    const cfg = runtime.config;
    const log = logger(cfg);
    const progress = jobProgress(log);
    const job = await withSource(
      cfg,
      options.sandbox === true,
      (source) =>
        runJob(runtime, source, {
          ...(selection(options) !== undefined && { selection: selection(options) }),
          from: options.from,
          to: options.to,
          force: options.force,
          ...(options.forcePhase !== undefined && { forcePhase: options.forcePhase }),
          actor: 'cli',
          onProgress: progress.update,
          logger: log,
          signal,
        }),
      runtime,
    );
    progress.done();
    process.exitCode = exitCodeOfRun(job.status);
    return job;
  };

  const realtimeAction = async (
    runtime: Runtime,
    options: FetchOptions,
    realtime: { follow?: number; at?: number },
    signal: AbortSignal,
  ): Promise<RealtimeResult> => {
    const cfg = runtime.config;
    const log = logger(cfg);
    const progress = jobProgress(log);
    const result = await withSource(
      cfg,
      options.sandbox === true,
      (source) =>
        runRealtime(runtime, source, {
          actor: 'cli',
          ...(options.forcePhase !== undefined && { forcePhase: options.forcePhase }),
          ...(realtime.follow !== undefined && { followSeconds: realtime.follow }),
          clock: clockFrom(realtime.at),
          signal,
          onProgress: progress.update,
          logger: log,
          onRound: (round, next) => {
            progress.done();
            // One line per round on stderr, whatever stdout is: a follow is watched while it runs.
            const rows = round.job.stages.reduce((sum, s) => sum + s.run.stats.rowsEmitted, 0);
            const runs = round.job.stages.map((s) => `${s.stage.name} ${s.run.status}`).join(', ');
            const then =
              next.action === 'stop' || next.at === undefined
                ? 'last round'
                : `next at ${formatChinaTime(next.at)}`;
            process.stderr.write(
              `realtime round ${round.round} at ${formatChinaTime(Date.parse(round.at))}: ${runs || 'no module in force'}; ${rows} rows; ${then}\n`,
            );
          },
        }),
      runtime,
    );
    if (result.closed !== null) process.stderr.write(`${result.closed}\n`);
    return result;
  };

  const fetchOptions = (command: ReturnType<typeof program.command>) =>
    command
      .addOption(
        new Option(
          '--batch <batch>',
          'only the endpoints of this batch (default: everything switched on)',
        ).choices(BATCHES),
      )
      .option('--apis <list>', 'only these api_names (comma separated)')
      .option('--sandbox', 'fetch from an in-process sandbox instead of TUSHARE_API_URL')
      .option('--force', 'fetch again what the cursors say is done')
      .option('--json', 'print the full JSON document (the default when stdout is not a terminal)')
      .option(
        '--force-phase <reason>',
        'set the phase rules aside for this job (a backfill before a phase opens); the flags still apply, the reason is recorded and the runs count for no gate',
      );

  fetchOptions(
    program
      .command('fetch')
      .description(
        'fetch what the flags switch on (reference data first, then P0, P1 and the recovery modules) and emit raw events',
      )
      .option('--from <YYYYMMDD>', 'first day (default: day after the cursor)')
      .option('--to <YYYYMMDD>', 'last day (default: today in China)')
      .option(
        '--realtime',
        "realtime instead of history: each P2 module's realtime endpoints on its gray stage's pool, once, only while the equity session is open",
      )
      .option(
        '--follow <seconds>',
        'realtime every N seconds while the session is open; stops by itself at the close (and on Ctrl-C)',
      )
      .option(
        '--at <ISO time>',
        'with --realtime/--follow: run as if at this instant (with its offset, e.g. 2026-12-02T10:00:00+08:00); the clock runs on from there',
      ),
  ).action(async (options: FetchOptions & RealtimeOptions) => {
    checkDates(options);
    checkForcePhase(options);
    selection(options);
    const realtime = realtimeOf(options);
    await withPipelineRuntime(config(), async (runtime) => {
      await setUp(runtime);
      if (realtime !== undefined) {
        const result = await interruptible((signal) => realtimeAction(runtime, options, realtime, signal));
        report(realtimeReport(result), () => facts(realtimeFacts(result)), options);
        return;
      }
      const job = await interruptible((signal) => fetchAction(runtime, options, signal));
      report(jobReport(job), () => facts(jobFacts(job)), options);
    });
  });

  program
    .command('process')
    .description('normalize and store the raw events not yet processed, then stop (or --follow)')
    .option('--follow', 'keep consuming until interrupted')
    .option(
      '--reset-offsets <spec...>',
      're-anchor first, after the log went backwards: <topic>[:<partition>]=earliest|<offset> (recorded with --reason)',
    )
    .option('--reason <text>', 'why the offsets are reset (recorded in the control log)')
    .option('--json', 'print the full JSON document (the default when stdout is not a terminal)')
    .action(
      async (options: { follow?: boolean; resetOffsets?: string[]; reason?: string; json?: boolean }) => {
        const specs = (options.resetOffsets ?? []).map(parseResetSpec);
        if (specs.length > 0 && !options.reason?.trim())
          throw new ValidationError('command line', [
            { path: '--reason', message: 'required with --reset-offsets' },
          ]);
        await withPipelineRuntime(config(), async (runtime) => {
          await setUp(runtime);
          const log = logger(runtime.config);
          if (specs.length > 0) {
            const resets = await resetProcessorOffsets(runtime, specs, options.reason ?? '');
            log.warn({ resets }, 'consumer offsets re-anchored');
          }
          const stats = await interruptible((signal) =>
            processWithProgress(runtime, log, {
              until: options.follow ? 'stopped' : 'caught-up',
              signal,
              logger: log,
            }),
          );
          await projectRun(runtime);
          report(stats, () => facts(processFacts(stats)), options);
        });
      },
    );

  fetchOptions(
    program
      .command('run')
      .description(
        'the daily job: fetch everything switched on since the cursors, process it, update projections',
      )
      .option('--from <YYYYMMDD>', 'first day for every run (default: the day after each cursor)')
      .option('--to <YYYYMMDD>', 'the day the job runs as of (default: today in China)')
      .option(
        '--max-days <n>',
        'catch up at most this many calendar days from the cursors; the next run goes on',
      )
      .option('--yes', `catch up more than ${CATCH_UP_CONFIRM_DAYS} days without asking (on a terminal)`),
  ).action(async (options: RunOptions) => {
    checkDates(options);
    checkForcePhase(options);
    const endpoints = selection(options) ?? [...API_NAMES];
    const maxDays = options.maxDays === undefined ? undefined : positiveInt(options.maxDays, '--max-days');
    await withPipelineRuntime(config(), async (runtime) => {
      await setUp(runtime);
      const { range } = await incrementalRange(runtime, endpoints);
      const catchUp = boundCatchUp(
        { from: options.from ?? range.from, to: options.to ?? range.to },
        options.from === undefined && options.to === undefined ? maxDays : undefined,
      );
      const unbounded = options.from === undefined && maxDays === undefined;
      // A long catch-up is thousands of calls: at a terminal it is confirmed first; elsewhere (cron)
      // it goes ahead, and its summary says how long it was.
      if (unbounded && catchUp.days > CATCH_UP_CONFIRM_DAYS && interactive() && options.yes !== true)
        throw new ValidationError('command line', [
          {
            path: '--yes',
            message: `the catch-up spans ${catchUp.days} days (${catchUp.from} … ${catchUp.to}): confirm with --yes, or bound it with --max-days N or --from/--to`,
          },
        ]);
      // Without dates each run of the job starts from its own cursor; --max-days only moves the end.
      const bounded = catchUp.to < catchUp.unboundedTo ? { ...options, to: catchUp.to } : options;
      const fetched = await interruptible((signal) => fetchAction(runtime, bounded, signal));
      const log = logger(runtime.config);
      const processed = await interruptible((signal) =>
        processWithProgress(runtime, log, { until: 'caught-up', signal, logger: log }),
      );
      await projectRun(runtime);
      report(
        { catchUp, fetch: jobReport(fetched), process: processed },
        () => facts([...catchUpFacts(catchUp), ...jobFacts(fetched), ...processFacts(processed)]),
        options,
      );
    });
  });

  program
    .command('demo')
    .description(
      'no servers needed: embedded store and log, an in-process sandbox, a few weeks of P0 and P1 backfilled, a summary, then the status API',
    )
    .option('--days <n>', 'calendar days to backfill, ending today', '28')
    .option('--no-serve', 'exit after the summary instead of serving the status API')
    .action(async (options: { days: string; serve: boolean }) => {
      const days = Number(options.days);
      if (!Number.isInteger(days) || days < 1 || days > 366)
        throw new ValidationError('command line', [{ path: '--days', message: 'an integer from 1 to 366' }]);
      const cfg = config();
      const log = logger(cfg);
      const started = Date.now();
      const to = chinaDate();
      const from = addDays(to, 1 - days);
      await withRuntime(cfg, async (runtime) => {
        const setup = await setUp(runtime);
        // A fresh store is in phase A, where nothing runs: the demo takes it to B as an operator would.
        await bootstrapToB(runtime, 'demo');
        const progress = jobProgress(log);
        const { job, calls } = await withSource(cfg, true, async (source, sandbox) => {
          const result = await runJob(runtime, source, {
            historyFrom: from,
            to,
            actor: 'demo',
            // B opens P0 only; the demo shows P1 too, as an operator's recorded override would.
            forcePhase: 'demo: P1 backfilled on a fresh store before phase C opens',
            onProgress: progress.update,
            logger: quiet(log),
          });
          return { job: result, calls: sandbox?.calls() ?? {} };
        });
        progress.done();
        const processed = await processWithProgress(runtime, log, { until: 'caught-up', logger: quiet(log) });
        await projectRun(runtime);
        const store = await summarizeStore(runtime.pool);
        process.stdout.write(
          renderDemoSummary({
            from,
            to,
            job,
            process: [job.referenceProcessed, processed].filter((p) => p !== null),
            store,
            calls,
            migrationsApplied: setup.migrations.applied.length,
            storeKind: runtime.store.kind,
            logKind: runtime.log.kind,
            ms: Date.now() - started,
          }),
        );
        process.exitCode = exitCodeOfRun(job.status);
        if (!options.serve) return;
        const service = await startStatusService(runtime, {
          logger: log,
          host: cfg.server.host,
          port: cfg.server.port,
        });
        process.stdout.write(`\nstatus API and page at ${service.address}/ (Ctrl-C to stop)\n`);
        await untilSignal();
        await service.stop();
      });
    });
}

/** Processing with a progress line on a terminal (records, rows, lag), JSON lines otherwise. */
async function processWithProgress(
  runtime: Runtime,
  log: ProgressLogger,
  options: Omit<Parameters<typeof processRun>[1], 'onProgress'>,
): Promise<ProcessStats> {
  const started = Date.now();
  const progress = createProgressRenderer<ProcessProgress>({
    stream: process.stderr,
    logger: log,
    message: 'process progress',
    format: (p) =>
      `processed ${p.records.toLocaleString('en-US')} records  new ${p.inserted.toLocaleString('en-US')}  ` +
      `duplicates ${p.duplicates.toLocaleString('en-US')}  revisions ${p.revisions}  dlq ${p.deadLettered}  ` +
      `${Math.round(p.recordsPerSecond).toLocaleString('en-US')}/s`,
  });
  const stats = await processRun(runtime, {
    ...options,
    onProgress: (s) =>
      progress.update({
        records: s.records,
        inserted: s.inserted,
        duplicates: s.duplicates,
        revisions: s.revisions,
        deadLettered: s.deadLettered.total,
        recordsPerSecond: s.records / Math.max(0.001, (Date.now() - started) / 1000),
      }),
  });
  progress.done();
  return stats;
}

interface ProcessProgress {
  records: number;
  inserted: number;
  duplicates: number;
  revisions: number;
  deadLettered: number;
  recordsPerSecond: number;
}

/** The demo prints its own summary; only warnings and errors of the run are worth showing beside it. */
function quiet<L extends { info: unknown; warn: unknown; child: (b: object) => unknown }>(log: L): L {
  const child = log.child({}) as L & { level: string };
  child.level = 'warn';
  return child;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/**
 * Runs work with an AbortSignal fired by SIGINT/SIGTERM, so an interrupted run finishes its batch,
 * records how it ended and exits instead of dying mid-write.
 */
async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** One progress bar per run of the job, labelled with its stage. */
function jobProgress(log: ProgressLogger): {
  update: (stage: JobStage, progress: FetchProgress) => void;
  done: () => void;
} {
  let current: { name: string; renderer: ProgressRenderer<StageProgress> } | undefined;
  return {
    update: (stage, progress) => {
      if (current?.name !== stage.name) {
        current?.renderer.done();
        current = {
          name: stage.name,
          renderer: createProgressRenderer<StageProgress>({
            stream: process.stderr,
            logger: log,
            format: (p) => `${p.stage.padEnd(11)} ${formatProgressLine(p)}`,
          }),
        };
      }
      current.renderer.update({ stage: stage.name, ...progress });
    },
    done: () => current?.renderer.done(),
  };
}

type StageProgress = FetchProgress & { stage: string };

/** What `fetch --realtime` prints: the session, and each round as the job report of a fetch. */
function realtimeReport(result: RealtimeResult) {
  const { session } = result;
  return {
    session: session.open
      ? { open: true, tradeDate: session.tradeDate, closesAt: new Date(session.closesAt).toISOString() }
      : {
          open: false,
          tradeDate: session.tradeDate,
          opensAt: session.opensAt === null ? null : new Date(session.opensAt).toISOString(),
        },
    note: result.closed,
    stopped: result.stopped,
    rounds: result.rounds.map((r) => ({ round: r.round, at: r.at, ...jobReport(r.job) })),
  };
}

function realtimeFacts(result: RealtimeResult): [string, string][] {
  if (result.closed !== null) return [['realtime', result.closed]];
  const lines: [string, string][] = [
    [
      'realtime',
      `${result.rounds.length} round(s)${result.stopped === null ? '' : `, stopped: ${result.stopped}`}`,
    ],
  ];
  const last = result.rounds.at(-1);
  if (last !== undefined) lines.push(...jobFacts(last.job));
  return lines;
}

/** What fetch and run print: the job's outcome and, per run, what it did and why it skipped. */
function jobReport(job: JobResult) {
  return {
    status: job.status,
    /** Set when the job did nothing (every stage shut, every endpoint skipped), and why. */
    note: jobNote(job),
    runs: job.stages.map((s) => ({
      stage: s.stage.name,
      chain: s.stage.chain,
      batch: s.stage.batch,
      runId: s.run.runId,
      status: s.run.status,
      from: s.from,
      to: s.to,
      tasks: s.run.tasks,
      endpoints: s.run.endpoints,
      calls: s.run.calls,
      stats: s.run.stats,
      error: s.run.error,
      skipped: s.run.skipped,
      failures: s.run.failures,
      quotaStops: s.run.quotaStops.map((q) => ({ ...q, until: new Date(q.until).toISOString() })),
      holds: s.run.holds,
      cursorsAdvanced: s.run.cursorsAdvanced,
      pools: s.pools.map((p) => ({
        apiName: p.apiName,
        size: p.members.length,
        codes: p.codes,
        backfill: p.backfill,
      })),
      recheck: s.recheck,
      ...(s.switchedOff !== undefined && { switchedOff: s.switchedOff }),
    })),
    notRun: job.notRun,
    phase: { current: job.phase.phase, frozen: job.phase.frozen },
    closedByPhase: job.closedByPhase,
    closedByGray: job.closedByGray,
    notInForce: job.notInForce,
  };
}

import { checkHealth, type HealthReport } from '../health.js';
import { setUp } from '../runtime.js';
import type { CommandContext } from './context.js';

/** The data path: sandbox, fetch, process, run, demo (issue 3 fills these in). */
export function registerPipelineCommands({ program, config, withRuntime }: CommandContext): void {
  program
    .command('demo')
    .description('the embedded default, no servers needed: set up the store and log, then report health')
    .action(async () => {
      const cfg = config();
      const started = Date.now();
      const { setup, health } = await withRuntime(cfg, async (runtime) => ({
        setup: await setUp(runtime),
        health: await checkHealth(runtime),
      }));
      process.stdout.write(renderDemo(setup.migrations.applied.length, health, Date.now() - started));
      if (health.status !== 'ok') process.exitCode = 1;
    });
}

function renderDemo(appliedNow: number, health: HealthReport, ms: number): string {
  const rows: Array<[string, string]> = [
    ['status', health.status],
    [
      'event log',
      `${health.log.kind}, ${health.log.topicsExpected - health.log.topicsMissing.length} topics`,
    ],
    ['store', `${health.store.kind} (${health.store.storageMode ?? 'unknown'})`],
    ['hypertables', health.store.hypertables.join(', ') || 'none'],
    ['migrations', `${health.store.migrationsApplied} applied (${appliedNow} this run)`],
    ['took', `${(ms / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processedTopics } from '../../app/pipeline.js';
import { DEFAULT_PROCESSOR_NAME } from '../../contracts/config.js';
import type { ProcessStats } from '../../processors/processor.js';
import { type PrivateStack, startPrivateStack } from '../harness/private-stack.js';
import { services } from '../harness/services.js';
import { prefixedKafkaBackend } from './crash/backend.js';
import { endOffsets } from './crash/log.js';
import { storedOffsets, total } from './crash/store.js';
import { pollUntil, runXasset, startXasset } from './crash/xasset.js';
import {
  type DrillWorld,
  expectCaughtUp,
  expectSameAsClean,
  expectSandboxRows,
  type FetchReport,
  fetchArgs,
  openDrillWorld,
  runStatuses,
  sleep,
} from './drills/world.js';

/** A drill restarts a JVM or two; on an overloaded 2-core machine one start alone has taken 55 s. */
const DRILL_TIMEOUT_MS = 400_000;

/**
 * Fault drills (the roadmap's Phase E) on a broker and registry of this file's own: stopping the
 * shared ones would break every other test file. Each drill ends with the tables a clean run
 * stores and no run left `running`.
 */
describe('fault drills: Kafka and the schema registry go away mid-run', () => {
  let stack: PrivateStack;
  beforeAll(async () => {
    stack = await startPrivateStack((line) => console.log(line));
  });
  afterAll(async () => {
    await stack?.close();
  });

  const world = (from = '20240102', to = '20240109') =>
    openDrillWorld(prefixedKafkaBackend(stack.brokers, stack.registryUrl), { from, to });

  it(
    'Kafka stopped mid-fetch and started again: the fetch rides it out or fails clearly; a rerun leaves no gap and no double',
    async () => {
      const w = await world();
      try {
        w.sandbox.setFaults({ '*': { latencyMs: 40 } });
        const started = Date.now();
        const fetch = startXasset(fetchArgs(w), w.env);
        await pollUntil(
          'the fetch to be well into the range',
          async () => ((w.sandbox.calls().fut_daily ?? 0) >= 9 ? true : undefined),
          { timeoutMs: 60_000, everyMs: 20, child: fetch },
        );
        const down = Date.now();
        await stack.stop('kafka');
        await sleep(3_000);
        await stack.start('kafka');
        const outage = Date.now() - down;
        w.sandbox.setFaults({});
        const first = await fetch.exited;
        const took = Date.now() - started;
        console.log(`[drill] Kafka mid-fetch: outage ${outage} ms, fetch ended after ${took} ms`);
        // The appends waited the broker out: the run ends ok, its RunFinished written after the outage.
        expect(first.code, first.stderr.slice(-2_000)).toBe(0);
        const report = JSON.parse(first.stdout) as FetchReport;
        expect(report.status).toBe('ok');
        expect(first.stderr).toMatch(/Kafka unavailable: append retried/);
        // A rerun finds every cursor at the end of the range: nothing is fetched twice.
        const again = await runXasset<FetchReport>(fetchArgs(w), w.env);
        expect(again.status).toBe('ok');
        expect(again.runs.map((r) => r.stats.rowsEmitted)).toEqual([0]);
        const processed = await runXasset<ProcessStats>(['process'], w.env);
        expect(processed.lagAtEnd).toBe(0);
        expect(processed.deadLettered.total).toBe(0);
        await expectSandboxRows(w);
        await expectCaughtUp(w, DEFAULT_PROCESSOR_NAME);
        expect(Object.values(await runStatuses(w))).toEqual(['ok', 'ok']);
      } finally {
        await w.close();
      }
    },
    DRILL_TIMEOUT_MS,
  );
  it(
    'Kafka stopped under process --follow and started again: the processor resumes by itself and stores every record once',
    async () => {
      const w = await world();
      try {
        const processor = startXasset(['process', '--follow'], { ...w.env, XASSET_LOG_LEVEL: 'warn' });
        w.sandbox.setFaults({ '*': { latencyMs: 40 } });
        const fetch = startXasset(fetchArgs(w), w.env);
        await pollUntil(
          'the processor to store records while the fetch runs',
          async () => (total(await storedOffsets(w.db.pool, DEFAULT_PROCESSOR_NAME)) > 0 ? true : undefined),
          { timeoutMs: 90_000, everyMs: 50, child: processor },
        );
        await stack.stop('kafka');
        await sleep(2_000);
        await stack.start('kafka');
        const back = Date.now();
        w.sandbox.setFaults({});
        const fetched = await fetch.exited;
        expect(fetched.code, fetched.stderr.slice(-2_000)).toBe(0);
        const ends = await endOffsets(w.log, processedTopics());
        // Nobody restarts the processor: it notices the broker is back and catches up on its own.
        await pollUntil(
          'the processor to store every record after the broker came back',
          async () =>
            total(await storedOffsets(w.db.pool, DEFAULT_PROCESSOR_NAME)) === total(ends) ? true : undefined,
          { timeoutMs: 90_000, everyMs: 100, child: processor },
        );
        const resumedMs = Date.now() - back;
        console.log(
          `[drill] Kafka under process --follow: every record stored ${resumedMs} ms after the broker was back`,
        );
        processor.child.kill('SIGTERM');
        const exit = await processor.exited;
        expect(exit.code, exit.stderr.slice(-2_000)).toBe(0);
        const resumes = exit.stderr.match(/processor lost a dependency; resuming/g)?.length ?? 0;
        console.log(`[drill] the processor resubscribed ${resumes} time(s)`);
        const stats = JSON.parse(exit.stdout) as ProcessStats;
        expect(stats.deadLettered.total).toBe(0);
        await expectSandboxRows(w);
        await expectCaughtUp(w, DEFAULT_PROCESSOR_NAME);
        expect(Object.values(await runStatuses(w))).toEqual(['ok']);
      } finally {
        await w.close();
      }
    },
    DRILL_TIMEOUT_MS,
  );
  it(
    'the registry restarted mid-run: schema ids stay valid, the run and the processor carry on, a fresh reader decodes every record',
    async () => {
      const w = await world();
      try {
        const before = await schemaIds(stack.registryUrl);
        expect(before.size).toBeGreaterThan(10);
        const processor = startXasset(['process', '--follow'], w.env);
        w.sandbox.setFaults({ '*': { latencyMs: 40 } });
        const fetch = startXasset(fetchArgs(w), w.env);
        await pollUntil(
          'the processor to store records while the fetch runs',
          async () => (total(await storedOffsets(w.db.pool, DEFAULT_PROCESSOR_NAME)) > 0 ? true : undefined),
          { timeoutMs: 90_000, everyMs: 50, child: processor },
        );
        await stack.stop('registry');
        // A command that starts meanwhile cannot register its schemas: it says so and stops.
        const meanwhile = await startXasset(['process'], { ...w.env, XASSET_PROCESSOR_NAME: 'drill-other' })
          .exited;
        expect(meanwhile.code).not.toBe(0);
        expect(meanwhile.stderr).toMatch(/XASSET_SCHEMA_REGISTRY|registry/i);
        await stack.start('registry');
        w.sandbox.setFaults({});
        // The registry kept its schemas (H2 in its data folder): every subject has the id it had.
        expect(await schemaIds(stack.registryUrl)).toEqual(before);
        const fetched = await fetch.exited;
        expect(fetched.code, fetched.stderr.slice(-2_000)).toBe(0);
        const ends = await endOffsets(w.log, processedTopics());
        await pollUntil(
          'the processor to store every record',
          async () =>
            total(await storedOffsets(w.db.pool, DEFAULT_PROCESSOR_NAME)) === total(ends) ? true : undefined,
          { timeoutMs: 90_000, everyMs: 100, child: processor },
        );
        processor.child.kill('SIGTERM');
        const exit = await processor.exited;
        expect(exit.code, exit.stderr.slice(-2_000)).toBe(0);
        expect((JSON.parse(exit.stdout) as ProcessStats).deadLettered.total).toBe(0);
        await expectSandboxRows(w);
        await expectCaughtUp(w, DEFAULT_PROCESSOR_NAME);
        // A reader with an empty cache looks every writer schema up by the id in the record, on the
        // restarted registry, and stores what the drilled processor stored.
        await expectSameAsClean(w, services().postgresUrl);
        expect(Object.values(await runStatuses(w))).toEqual(['ok']);
      } finally {
        await w.close();
      }
    },
    DRILL_TIMEOUT_MS,
  );
});

/** The id of every subject's latest schema, as the registry serves it. */
async function schemaIds(registryUrl: string): Promise<Map<string, number>> {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${registryUrl}${path}`);
    if (!res.ok) throw new Error(`registry ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  const ids = new Map<string, number>();
  for (const subject of (await get<string[]>('/subjects')).sort()) {
    const latest = await get<{ id: number }>(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
    ids.set(subject, latest.id);
  }
  return ids;
}

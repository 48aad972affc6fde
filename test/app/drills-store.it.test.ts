import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processedTopics } from '../../app/pipeline.js';
import { DEFAULT_PROCESSOR_NAME } from '../../contracts/config.js';
import type { ProcessStats } from '../../processors/processor.js';
import { type PrivatePostgres, startPrivatePostgres } from '../harness/private-postgres.js';
import { services, uniqueName } from '../harness/services.js';
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
} from './drills/world.js';

const DRILL_TIMEOUT_MS = 240_000;
/** Raw records per processor transaction: small, so the run is dozens of transactions to interrupt. */
const BATCH = 50;
const env = { XASSET_PROCESS_BATCH_SIZE: String(BATCH) };

/**
 * Fault drills on the database: the log is the shared broker (under a prefix of the drill's own),
 * so only the store's connections go away.
 */
describe('fault drills: the database goes away in the middle of a batch', () => {
  const backend = () => prefixedKafkaBackend(services().kafkaBrokers, services().registryUrl);

  /** The fetch first, whole: the drill is about the processor's transactions. */
  const fetched = async (w: DrillWorld) => {
    const report = await runXasset<FetchReport>(fetchArgs(w), w.env);
    expect(report.status).toBe('ok');
    const ends = await endOffsets(w.log, processedTopics());
    expect(total(ends) / BATCH).toBeGreaterThan(20);
    return ends;
  };

  it(
    'connections killed with pg_terminate_backend mid-batch: the batch is redone, offsets and rows stay consistent',
    async () => {
      // node-postgres names its connections after PGAPPNAME: the processor's, and only them, are killed.
      const appName = uniqueName('drill_proc');
      const w = await openDrillWorld(backend(), { from: '20240102', to: '20240109', env });
      const admin = new pg.Client({ connectionString: services().postgresUrl });
      await admin.connect();
      try {
        const ends = await fetched(w);
        // The fetch already processed the reference data its pools need: the drill's batches come after.
        const before = total(await storedOffsets(w.db.pool, DEFAULT_PROCESSOR_NAME));
        const processor = startXasset(['process'], { ...w.env, PGAPPNAME: appName });
        // Batches only: the command's start (migrations) and end (projections) are not the drill.
        await pollUntil(
          'the processor to store its first batch',
          async () =>
            total(await storedOffsets(w.db.pool, DEFAULT_PROCESSOR_NAME)) > before ? true : undefined,
          { timeoutMs: 60_000, everyMs: 10, child: processor },
        );
        const killed: number[] = [];
        while (killed.length < 3) {
          // A connection inside a transaction (or running its statement) is a batch in flight.
          const pid = await pollUntil(
            'a processor connection in the middle of a batch',
            async () => {
              const { rows } = await admin.query<{ pid: number }>(
                `SELECT pid FROM pg_stat_activity
                WHERE application_name = $1 AND state IN ('active', 'idle in transaction') AND xact_start IS NOT NULL
                LIMIT 1`,
                [appName],
              );
              return rows[0]?.pid;
            },
            { timeoutMs: 60_000, everyMs: 5, child: processor },
          );
          const { rows } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [pid]);
          if (rows[0]?.ok) killed.push(pid);
        }
        const exit = await processor.exited;
        expect(exit.code, exit.stderr.slice(-2_000)).toBe(0);
        const redone = exit.stderr.match(/database connection lost; batch redone/g)?.length ?? 0;
        console.log(
          `[drill] pg_terminate_backend: ${killed.length} connections killed, ${redone} batch(es) redone`,
        );
        expect(redone).toBeGreaterThanOrEqual(1);
        const stats = JSON.parse(exit.stdout) as ProcessStats;
        expect(stats.lagAtEnd).toBe(0);
        expect(stats.deadLettered.total).toBe(0);
        expect(total(await storedOffsets(w.db.pool, DEFAULT_PROCESSOR_NAME))).toBe(total(ends));
        await expectCaughtUp(w, DEFAULT_PROCESSOR_NAME);
        await expectSandboxRows(w);
        await expectSameAsClean(w, services().postgresUrl);
        expect(Object.values(await runStatuses(w))).toEqual(['ok']);
      } finally {
        await admin.end();
        await w.close();
      }
    },
    DRILL_TIMEOUT_MS,
  );

  describe('on a PostgreSQL server of the drill own (the shared one is never restarted)', () => {
    let server: PrivatePostgres;
    beforeAll(async () => {
      server = await startPrivatePostgres();
    });
    afterAll(async () => {
      await server?.close();
    });

    it(
      'PostgreSQL restarted mid-run: the processor waits for it, redoes the batch, and ends with the rows of a clean run',
      async () => {
        const w = await openDrillWorld(backend(), {
          from: '20240102',
          to: '20240109',
          databaseUrl: server.url,
        });
        try {
          const ends = await fetched(w);
          const processor = startXasset(['process'], w.env);
          await pollUntil(
            'the processor to store a quarter of the log',
            async () =>
              total(await storedOffsets(w.db.pool, DEFAULT_PROCESSOR_NAME)) >= total(ends) / 4
                ? true
                : undefined,
            { timeoutMs: 90_000, everyMs: 10, child: processor },
          );
          const awayMs = await server.restart(3_000);
          const exit = await processor.exited;
          expect(exit.code, exit.stderr.slice(-2_000)).toBe(0);
          const redone = exit.stderr.match(/database connection lost; batch redone/g)?.length ?? 0;
          console.log(`[drill] PostgreSQL restart: away ${awayMs} ms, ${redone} retries of a batch`);
          expect(redone).toBeGreaterThanOrEqual(1);
          const stats = JSON.parse(exit.stdout) as ProcessStats;
          expect(stats.lagAtEnd).toBe(0);
          expect(stats.deadLettered.total).toBe(0);
          await expectCaughtUp(w, DEFAULT_PROCESSOR_NAME);
          await expectSandboxRows(w);
          await expectSameAsClean(w, server.url);
          expect(Object.values(await runStatuses(w))).toEqual(['ok']);
        } finally {
          await w.close();
        }
      },
      DRILL_TIMEOUT_MS,
    );
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processedTopics } from '../../app/pipeline.js';
import { rawTopic } from '../../contracts/catalog/index.js';
import { DEFAULT_PROCESSOR_NAME } from '../../contracts/config.js';
import { CONTROL_TOPIC } from '../../contracts/events/control.js';
import { controlEventFromWire } from '../../contracts/events/control-wire.js';
import { freePort } from '../../infra/local/process.js';
import type { LocalServiceContext } from '../../infra/local/service.js';
import { servicesDown, servicesUp } from '../../infra/local/stack.js';
import type { ProcessStats } from '../../processors/processor.js';
import { type Sandbox, startSandbox } from '../../producers/sandbox/server.js';
import { createSyntheticMarket, type SyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';
import { type CrashBackend, prefixedKafkaBackend } from './crash/backend.js';
import { endOffsets } from './crash/log.js';
import { expectedBars, openDates } from './crash/market.js';
import { barsPerDay, storedOffsets, total } from './crash/store.js';
import { killLeftovers, pollUntil, runXasset, startXasset } from './crash/xasset.js';

const SEED = 20_240_715;
const FROM = '20240102';
const TO = '20240110';
const DAILY = rawTopic('daily');

/**
 * A broker of this file's own, in its own state folder on a free port: the tests stop it and
 * delete its topics, which must hurt no other test. The registry and PostgreSQL are the harness's.
 */
let kafka: { ctx: LocalServiceContext; port: number; brokers: string[] };

beforeAll(async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'xasset-regress-'));
  const ctx: LocalServiceContext = {
    cacheDir: process.env.XASSET_CACHE_DIR || join(homedir(), '.cache', 'tushare-xasset'),
    stateDir,
    log: () => {},
  };
  const port = await freePort();
  await servicesUp(ctx, { kafka: port, registry: 0, pglite: 0 }, ['kafka']);
  kafka = { ctx, port, brokers: [`127.0.0.1:${port}`] };
}, 180_000);

afterAll(async () => {
  await killLeftovers();
  if (!kafka) return;
  await servicesDown(kafka.ctx, ['kafka']);
  await rm(kafka.ctx.stateDir, { recursive: true, force: true });
});

interface World {
  market: SyntheticMarket;
  sandbox: Sandbox;
  db: IsolatedDatabase;
  backend: CrashBackend;
  env: Record<string, string>;
  prefix: string;
  days: string[];
  close(): Promise<void>;
}

async function openWorld(size: 'tiny' | 'small', batch: number): Promise<World> {
  const backend = prefixedKafkaBackend(kafka.brokers, services().registryUrl);
  const market = createSyntheticMarket({ seed: SEED, size });
  const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, dataset: market });
  const db = await isolatedSchema(services().postgresUrl);
  const stateDir = await mkdtemp(join(tmpdir(), 'xasset-regress-cli-'));
  const env = {
    ...backend.env,
    XASSET_DATABASE_URL: services().postgresUrl,
    XASSET_DATABASE_SCHEMA: db.schema,
    XASSET_STATE_DIR: stateDir,
    XASSET_PROCESS_BATCH_SIZE: String(batch),
    TUSHARE_API_URL: sandbox.url,
  };
  await runXasset(['migrate'], env);
  return {
    market,
    sandbox,
    db,
    backend,
    env,
    prefix: backend.env.XASSET_TOPIC_PREFIX ?? '',
    days: openDates(market, FROM, TO),
    close: async () => {
      await killLeftovers();
      await sandbox.close();
      await db.drop();
      await rm(stateDir, { recursive: true, force: true });
      await backend.close().catch(() => {});
    },
  };
}

/** Runs a command to its end, whatever its exit code. */
async function exitOf(args: string[], env: Record<string, string>) {
  return startXasset(args, env).exited;
}

/** The P0 backfill every test starts from: a fresh store, so the phase is forced, with a reason. */
async function backfillP0(env: Record<string, string>): Promise<void> {
  const fetched = await runXasset<{ status: string }>(
    ['fetch', '--batch', 'p0', '--from', FROM, '--to', TO, '--force-phase', 'test backfill on a fresh store'],
    env,
  );
  expect(fetched.status).toBe('ok');
}

/** A Node stack trace on stderr means an error escaped unhandled; typed errors print one line. */
const NODE_STACK = /\n\s+at [^\n]+\(/;

describe('a log that went backwards is refused, and re-anchored only on an explicit, recorded command', () => {
  it('refuses a topic deleted and recreated under the deployment, naming the offsets; --reset-offsets then converges to a clean run', async () => {
    const world = await openWorld('tiny', 5_000);
    try {
      await backfillP0(world.env);
      await runXasset(['process'], world.env);
      const clean = expectedBars(world.market, world.days);
      expect(await barsPerDay(world.db.pool)).toEqual(clean);
      const storedBefore = await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME);

      // The topic is deleted under the deployment, and the next fetch (its setup recreates the
      // topic) appends the last day again: the new log ends below the stored offsets.
      await deleteTopic(kafka.brokers, `${world.prefix}${DAILY}`);
      const last = world.days.at(-1) ?? TO;
      const refetch = await runXasset<{ status: string }>(
        [
          'fetch',
          '--apis',
          'daily',
          '--from',
          last,
          '--to',
          last,
          '--force',
          '--force-phase',
          'test backfill on a fresh store',
        ],
        world.env,
      );
      expect(refetch.status).toBe('ok');
      const { log } = world.backend.open(world.db.pool);
      const ends = await log.endOffsets(DAILY);
      const allEnds = await endOffsets(log, processedTopics());

      const refused = await exitOf(['process'], world.env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('XASSET_LOG_BEHIND_STORE');
      expect(refused.stderr).not.toMatch(NODE_STACK);
      // Every partition whose stored offset is past the new end is named with both offsets: the
      // first on the error's line, each on a log line of its own.
      expect(refused.stderr).toMatch(
        /xasset: XASSET_LOG_BEHIND_STORE: log behind the database on \d+ partition\(s\), nothing processed: tushare\.raw\.daily\/\d+: the database is at offset \d+ but the log ends at \d+.*--reset-offsets/,
      );
      let named = 0;
      for (const [partition, end] of ends) {
        const stored = storedBefore.get(`${DAILY}/${partition}`) ?? 0;
        if (stored <= end) continue;
        named += 1;
        expect(refused.stderr).toContain(
          `${DAILY}/${partition}: the database is at offset ${stored} but the log ends at ${end}`,
        );
      }
      expect(named).toBeGreaterThan(0);
      // Nothing was processed, nothing moved.
      expect(await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME)).toEqual(storedBefore);

      const reason = 'daily topic recreated by the broker rebuild';
      const reanchored = await runXasset<ProcessStats>(
        ['process', '--reset-offsets', `${DAILY}=earliest`, '--reason', reason],
        world.env,
      );
      // The recreated topic's records (the last day again) from 0, and what the refetch added to
      // the other topics (its calendar call) from where they were: all already stored, as duplicates.
      const unread = [...allEnds].map(([slot, end]) =>
        slot.startsWith(`${DAILY}/`) ? end : end - (storedBefore.get(slot) ?? 0),
      );
      expect(reanchored.records).toBe(unread.reduce((a, b) => a + b, 0));
      expect(reanchored.inserted).toBe(0);
      expect(reanchored.lagAtEnd).toBe(0);
      expect(await barsPerDay(world.db.pool)).toEqual(clean);
      const stored = await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME);
      for (const [partition, end] of ends) {
        if (end > 0) expect(stored.get(`${DAILY}/${partition}`)).toBe(end);
      }

      // The re-anchoring is in the control log: one event per partition, with the reason.
      const codec = world.backend.open(world.db.pool).codec;
      const events = await Promise.all(
        (await log.read(CONTROL_TOPIC, 0, 0)).map(async (r) =>
          controlEventFromWire(await codec.decode(CONTROL_TOPIC, r.value)),
        ),
      );
      const resets = events.flatMap((e) => (e.type === 'OffsetsReset' ? [e.payload] : []));
      expect(resets.map((r) => r.partition).sort()).toEqual([...ends.keys()].sort());
      for (const r of resets) {
        expect(r).toMatchObject({ consumer: DEFAULT_PROCESSOR_NAME, topic: DAILY, offset: 0, reason });
        expect(r.previous).toBe(storedBefore.get(`${DAILY}/${r.partition}`) ?? null);
      }

      const again = await runXasset<ProcessStats>(['process'], world.env);
      expect(again.records).toBe(0);
    } finally {
      await world.close();
    }
  }, 600_000);

  it('refuses a control topic that lost its events instead of folding a fresh-looking state', async () => {
    const world = await openWorld('tiny', 5_000);
    try {
      // A fetch run's events (run, cursors) in the control log, folded into the tables by a command.
      await runXasset(
        ['fetch', '--from', FROM, '--to', FROM, '--force-phase', 'test backfill on a fresh store'],
        world.env,
      );
      await runXasset(['flags', 'show'], world.env);
      const { rows } = await world.db.pool.query<{ n: string }>(
        'SELECT max(next_offset) AS n FROM projection_checkpoint',
      );
      const checkpoint = Number(rows[0]?.n);
      expect(checkpoint).toBeGreaterThanOrEqual(2);

      await deleteTopic(kafka.brokers, `${world.prefix}${CONTROL_TOPIC}`);
      // Every command sets the topics up first, so each meets a recreated, empty control topic.
      for (const args of [
        ['flags', 'show'],
        ['fetch', '--from', FROM, '--to', FROM, '--force-phase', 'test backfill on a fresh store'],
      ]) {
        const refused = await exitOf(args, world.env);
        expect(refused.code, args.join(' ')).toBe(1);
        expect(refused.stderr).toContain(
          `XASSET_CONTROL_LOG_LOST_EVENTS: the control log lost events: ${CONTROL_TOPIC}/0: the database is at offset ${checkpoint} but the log ends at 0`,
        );
        expect(refused.stderr).not.toMatch(NODE_STACK);
      }
      // The projection tables kept the real state: nothing was folded over them.
      const flags = await world.db.pool.query<{ n: string }>(
        'SELECT max(next_offset) AS n FROM projection_checkpoint',
      );
      expect(Number(flags.rows[0]?.n)).toBe(checkpoint);
    } finally {
      await world.close();
    }
  }, 600_000);

  it('ends with a typed error when Kafka stops in the middle of process, and a rerun after the restart converges with no loss', async () => {
    const world = await openWorld('small', 150);
    try {
      await backfillP0(world.env);
      const { log } = world.backend.open(world.db.pool);
      const ends = await endOffsets(log, processedTopics());
      const records = total(ends);

      // A short patience: the broker does not come back while this process runs.
      const processor = startXasset(['process'], { ...world.env, XASSET_OUTAGE_PATIENCE_MS: '5000' });
      await pollUntil(
        'the processor to store a quarter of the log',
        async () =>
          total(await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME)) >= records / 4 ? true : undefined,
        { timeoutMs: 120_000, everyMs: 20, child: processor },
      );
      await servicesDown(kafka.ctx, ['kafka']);
      const exit = await processor.exited;
      expect(exit.code, exit.stderr.slice(-2_000)).toBe(1);
      expect(exit.stderr).toMatch(/xasset: XASSET_(DEPENDENCY_UNAVAILABLE|EVENT_LOG): /);
      // Kafka is what went away: a refused broker socket once made it "PostgreSQL does not answer",
      // waited out a second time as a lost database connection.
      expect(exit.stderr).toMatch(/Kafka/);
      expect(exit.stderr).not.toMatch(/PostgreSQL does not answer/);
      expect(exit.stderr).not.toMatch(NODE_STACK);
      const storedAtLoss = total(await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME));
      expect(storedAtLoss).toBeLessThan(records);

      // The same data folder: the broker comes back with every topic and offset.
      await servicesUp(kafka.ctx, { kafka: kafka.port, registry: 0, pglite: 0 }, ['kafka']);
      expect(await endOffsets(log, processedTopics())).toEqual(ends);
      const rerun = await runXasset<ProcessStats>(['process'], world.env);
      expect(rerun.records).toBe(records - storedAtLoss);
      expect(rerun.lagAtEnd).toBe(0);
      expect(await barsPerDay(world.db.pool)).toEqual(expectedBars(world.market, world.days));
      expect(await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME)).toEqual(
        new Map([...ends].filter(([, end]) => end > 0)),
      );
    } finally {
      await world.close();
    }
  }, 600_000);
});

async function deleteTopic(brokers: string[], topic: string): Promise<void> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
    await pollUntil(
      `${topic} to be gone`,
      async () => ((await admin.listTopics()).includes(topic) ? undefined : true),
      { timeoutMs: 30_000, everyMs: 100 },
    );
  } finally {
    await admin.disconnect();
  }
}

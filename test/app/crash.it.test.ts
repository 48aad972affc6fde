import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processedTopics } from '../../app/pipeline.js';
import { type ApiName, rawTopic } from '../../contracts/catalog/index.js';
import { DEFAULT_PROCESSOR_NAME } from '../../contracts/config.js';
import type { SchemaCodec } from '../../infra/codec/schema-codec.js';
import type { EventLog } from '../../infra/log/event-log.js';
import { migrate } from '../../infra/migrations/migrate.js';
import { type ProcessStats, runProcessor } from '../../processors/processor.js';
import { type Sandbox, startSandbox } from '../../producers/sandbox/server.js';
import { createSyntheticMarket, type SyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { foldControlLog } from '../../projections/log/control-view.js';
import { expectedMinutes, MINUTE_APIS, MINUTE_MODULES, storedMinutes } from '../harness/minute-bars.js';
import { type IsolatedDatabase, isolatedSchema, services, uniqueName } from '../harness/services.js';
import { type CrashBackend, embeddedBackend, prefixedKafkaBackend } from './crash/backend.js';
import { committedOffsets, endOffsets, keyCounts } from './crash/log.js';
import {
  calendarRows,
  expectedBars,
  expectedPerDay,
  ofAsset,
  openDates,
  P0_BARS,
  P0_DATED,
} from './crash/market.js';
import {
  backendAlive,
  barsPerDay,
  count,
  diffTable,
  type HeldOffset,
  holdOffset,
  PROCESSOR_TABLES,
  rowsPerDay,
  storedOffsets,
  total,
} from './crash/store.js';
import { killLeftovers, pollUntil, runXasset, startXasset } from './crash/xasset.js';

const SEED = 20_240_601;
/** Wednesday to Friday: each day's futures night session is held the evening before. */
const MINUTE_FROM = '20240306';
const MINUTE_TO = '20240308';
/** Raw records per processor transaction: small, so a run is dozens of transactions to kill inside. */
const BATCH = 150;
/** Heartbeats every 200 ms, silence for 1.5 s makes a run stale: the reaper can be shown at work. */
const HEARTBEAT_ENV = { XASSET_HEARTBEAT_MS: '200', XASSET_HEARTBEAT_TIMEOUT_MS: '1500' };
const HEARTBEAT_TIMEOUT_MS = 1_500;

/** What `xasset fetch` prints: the job's status and its runs (here one: the P0 batch). */
interface FetchReport {
  status: string;
  runs: {
    runId: string;
    stage: string;
    status: string;
    stats: { rowsEmitted: number };
    pools: { apiName: string; codes: string[] }[];
  }[];
}

const onlyRun = (report: FetchReport) => {
  expect(report.runs).toHaveLength(1);
  return report.runs[0] as FetchReport['runs'][number];
};

/**
 * One test's world: its own event log, a sandbox in this process (so the crashed run and the one
 * after it see the same market), a fresh schema, a state folder, and the CLI's env pointing at them.
 */
interface World {
  market: SyntheticMarket;
  sandbox: Sandbox;
  db: IsolatedDatabase;
  env: Record<string, string>;
  log: EventLog;
  codec: SchemaCodec;
  from: string;
  to: string;
  days: string[];
  /** Kafka only: the partitions each member of a group holds. */
  assignments?: (group: string) => Promise<string[][]>;
  /** Runs at close, before the world's own clean-up. */
  onClose(cleanup: () => Promise<void>): void;
  close(): Promise<void>;
}

async function openWorld(
  makeBackend: () => Promise<CrashBackend>,
  options: { size: 'tiny' | 'small'; from: string; to: string },
): Promise<World> {
  const backend = await makeBackend();
  const market = createSyntheticMarket({ seed: SEED, size: options.size });
  const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, dataset: market });
  const db = await isolatedSchema(services().postgresUrl);
  const stateDir = await mkdtemp(join(tmpdir(), 'xasset-crash-'));
  const env = {
    ...backend.env,
    ...HEARTBEAT_ENV,
    XASSET_DATABASE_URL: services().postgresUrl,
    XASSET_DATABASE_SCHEMA: db.schema,
    XASSET_STATE_DIR: stateDir,
    XASSET_PROCESS_BATCH_SIZE: String(BATCH),
    TUSHARE_API_URL: sandbox.url,
  };
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    await killLeftovers();
    for (const cleanup of cleanups.reverse()) await cleanup();
    await sandbox.close();
    await db.drop();
    await rm(stateDir, { recursive: true, force: true });
    await backend.close();
  };
  try {
    // The production shape's first step: tables, topics with their configs, schemas registered.
    await runXasset(['migrate'], env);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    market,
    sandbox,
    db,
    env,
    ...backend.open(db.pool),
    ...(backend.assignments && { assignments: backend.assignments }),
    from: options.from,
    to: options.to,
    days: openDates(market, options.from, options.to),
    onClose: (cleanup) => cleanups.push(cleanup),
    close,
  };
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

// A fresh store is in phase A: the crash tests backfill P0 past the phase rules, as an operator's recorded override.
const fetchRange = (world: World) => [
  'fetch',
  '--batch',
  'p0',
  '--from',
  world.from,
  '--to',
  world.to,
  '--force-phase',
  'crash test backfill',
];

interface FetchKill {
  crashedRunId: string;
  /** Cursor values when the fetch died. */
  cursors: Record<string, string>;
}

/**
 * Starts `xasset fetch` with every sandbox call slowed down, and SIGKILLs it once it has asked for
 * the fourth futures exchange of the fourth day: three of that day's exchange tasks are in the log,
 * the day is not done, so the futures cursor has not moved past the day before.
 */
async function killFetchMidDay(world: World): Promise<FetchKill> {
  const FUTURES_EXCHANGES = 6;
  const killAt = 3 * FUTURES_EXCHANGES + 4;
  world.sandbox.setFaults({ '*': { latencyMs: 50 } });
  const fetch = startXasset(fetchRange(world), world.env);
  await pollUntil(
    'the fetch to reach the fourth day',
    async () => ((world.sandbox.calls().fut_daily ?? 0) >= killAt ? true : undefined),
    { timeoutMs: 60_000, everyMs: 5, child: fetch },
  );
  const killed = await fetch.kill();
  expect(killed.signal).toBe('SIGKILL');
  world.sandbox.setFaults({});

  const state = await foldControlLog({ log: world.log, codec: world.codec });
  const runs = Object.values(state.runs.runs);
  expect(runs.map((r) => r.status)).toEqual(['running']);
  const cursors = Object.fromEntries(
    Object.entries(state.cursors.cursors).map(([cursor, entry]) => [cursor, entry.value]),
  );
  expect(cursors['fetch.daily'], 'cursors advanced before the kill').toBeDefined();
  expect((cursors['fetch.fut_daily'] ?? '') < world.to, 'the futures cursor stopped short').toBe(true);
  return { crashedRunId: runs[0]?.runId ?? '', cursors };
}

interface ProcessorKill {
  /** consumer_offset and the log group's commits right after the kill. */
  stored: Map<string, number>;
  committed: Map<string, number>;
}

/** Starts `xasset process` and SIGKILLs it once the database holds a quarter of the log. */
async function killProcessorMidRun(world: World, records: number): Promise<ProcessorKill> {
  const processor = startXasset(['process'], world.env);
  const seen = await pollUntil(
    'the processor to store a quarter of the log',
    async () => {
      const stored = total(await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME));
      return stored >= records / 4 ? stored : undefined;
    },
    { timeoutMs: 90_000, everyMs: 10, child: processor },
  );
  const killed = await processor.kill();
  expect(killed.signal).toBe('SIGKILL');
  const kill = await offsetsAfterKill(world, records);
  expect(total(kill.stored)).toBeGreaterThanOrEqual(seen);
  return kill;
}

/** Both offsets right after a kill: the log group trails the database, never leads it. */
async function offsetsAfterKill(world: World, records: number): Promise<ProcessorKill> {
  const stored = await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME);
  const committed = await committedOffsets(world.log, DEFAULT_PROCESSOR_NAME, processedTopics());
  expect(total(stored), 'the kill landed before the end of the log').toBeLessThan(records);
  for (const [slot, next] of committed) expect(next).toBeLessThanOrEqual(stored.get(slot) ?? 0);
  return { stored, committed };
}

/**
 * Starts `xasset process` and SIGKILLs it inside a minute batch: once a quarter of the minute
 * records is stored, the test locks the offset row of a minute partition with more to come, so the processor's next batch of
 * that partition upserts its minute rows and then waits inside its open transaction. The kill
 * lands there; the lock is let go after, and the dead client's transaction rolls back.
 */
async function killProcessorInMinuteBatch(world: World, ends: Map<string, number>): Promise<ProcessorKill> {
  const minuteTopics = new Set<string>(MINUTE_APIS.map((api) => rawTopic(api)));
  const processor = startXasset(['process'], world.env);
  let held: (HeldOffset & { slot: string }) | undefined;
  try {
    const isMinute = (slot: string) => minuteTopics.has(slot.split('/')[0] ?? '');
    const minuteRecords = total(new Map([...ends].filter(([slot]) => isMinute(slot))));
    held = await pollUntil(
      'a quarter of the minute records stored, and a minute partition with more to come',
      async () => {
        const stored = await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME);
        if (total(new Map([...stored].filter(([slot]) => isMinute(slot)))) < minuteRecords / 4)
          return undefined;
        for (const [slot, next] of stored) {
          const [topic = '', partition] = slot.split('/');
          const end = ends.get(slot) ?? 0;
          if (!isMinute(slot) || next >= end) continue;
          const lock = await holdOffset(world.db.pool, DEFAULT_PROCESSOR_NAME, topic, Number(partition));
          if (lock.next < end) return { ...lock, slot };
          await lock.release();
        }
        return undefined;
      },
      { timeoutMs: 90_000, everyMs: 5, child: processor },
    );
    const lock = held;
    const waiting = await pollUntil(
      'the next minute batch to wait at its offset, its rows upserted',
      async () => {
        const pids = await lock.waiting();
        return pids.length > 0 ? pids : undefined;
      },
      { timeoutMs: 60_000, everyMs: 10, child: processor },
    );
    expect(waiting).toHaveLength(1);
    const killed = await processor.kill();
    expect(killed.signal).toBe('SIGKILL');
    held = undefined;
    await lock.release();
    await pollUntil(
      "the killed batch's transaction to end",
      async () => ((await backendAlive(world.db.pool, waiting[0] as number)) ? undefined : true),
      { timeoutMs: 30_000, everyMs: 20 },
    );

    const kill = await offsetsAfterKill(world, total(ends));
    expect(kill.stored.get(lock.slot), 'the killed batch committed no offset').toBe(lock.next);
    // Nothing of the killed batch stayed: no row comes from an offset past the stored one.
    const [topic, partition] = lock.slot.split('/');
    const { rows } = await world.db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM minute_bar
        WHERE source_topic = $1 AND source_partition = $2 AND source_offset >= $3`,
      [topic, Number(partition), lock.next],
    );
    expect(Number(rows[0]?.n)).toBe(0);
    return kill;
  } finally {
    await held?.release();
  }
}

/**
 * Each record stored once in effect: the restart consumes exactly what the database did not hold,
 * skips exactly what the log redelivered below the stored offsets, and ends at the log's end.
 */
async function expectRestartExactlyOnce(
  world: World,
  restarted: ProcessStats,
  kill: ProcessorKill,
  ends: Map<string, number>,
): Promise<void> {
  expect(restarted.records).toBe(total(ends) - total(kill.stored));
  expect(restarted.skipped).toBe(total(kill.stored) - total(kill.committed));
  expect(restarted.lagAtEnd).toBe(0);
  expect(restarted.deadLettered.total).toBe(0);
  expect(await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME)).toEqual(
    new Map([...ends].filter(([, end]) => end > 0)),
  );
}

/** No row missing, none doubled: the tables hold what the sandbox serves, day by day. */
async function expectSandboxRows(world: World, ends: Map<string, number>): Promise<void> {
  const bars = expectedBars(world.market, world.days);
  expect(Object.keys(bars).length, 'every open day × endpoint has rows to lose').toBe(
    world.days.length * P0_BARS.length,
  );
  expect(await barsPerDay(world.db.pool)).toEqual(bars);
  expect(await rowsPerDay(world.db.pool, 'futures_bar_ext')).toEqual(ofAsset(bars, 'futures'));
  expect(await rowsPerDay(world.db.pool, 'spot_sge_bar_ext')).toEqual(ofAsset(bars, 'spot'));
  expect(await rowsPerDay(world.db.pool, 'adj_factor')).toEqual(
    expectedPerDay(world.market, 'adj_factor', world.days),
  );
  expect(await count(world.db.pool, 'trade_calendar')).toBe(calendarRows(world.market, world.from, world.to));
  // Reference snapshots are fetched once per range, before any kill: one instrument per record.
  const recordsOf = (api: string) =>
    sum([...ends].filter(([slot]) => slot.startsWith(`${rawTopic(api)}/`)).map(([, n]) => n));
  const notReference = [...P0_DATED, 'trade_cal', 'suspend_d'];
  const referenceRecords = total(ends) - sum(notReference.map(recordsOf));
  expect(await count(world.db.pool, 'instrument')).toBe(referenceRecords);
  // suspend_d is fetched per day like the bars, and deduplicated on its key like them.
  expect(await count(world.db.pool, 'suspension')).toBe(
    world.days.flatMap((day) => world.market.query('suspend_d', { trade_date: day })).length,
  );
}

/**
 * The log holds a second copy only of what the crashed fetch appended past its cursors: the futures
 * exchanges of the day it was killed in. Returns the number of extra copies.
 */
async function expectOnlyInterruptedDayTwice(world: World, kill: FetchKill): Promise<number> {
  const counts = await keyCounts(world.log, processedTopics());
  const extra = new Map<string, number>();
  for (const [key, n] of counts) {
    if (n < 2) continue;
    const parts = key.split('|');
    const apiDay = `${parts[0]}|${parts.at(-1)}`;
    extra.set(apiDay, (extra.get(apiDay) ?? 0) + n - 1);
  }
  const interrupted = world.days.find((day) => day > (kill.cursors['fetch.fut_daily'] ?? ''));
  expect([...extra.keys()]).toEqual([`fut_daily|${interrupted}`]);
  expect(Math.max(...counts.values())).toBe(2);
  return sum(extra.values());
}

/**
 * The same log processed again without a crash, in batches of 5,000 instead of the CLI's 150, into
 * a second schema, dropped with the world.
 */
async function cleanRun(world: World, records: number): Promise<IsolatedDatabase> {
  const clean = await isolatedSchema(services().postgresUrl);
  world.onClose(() => clean.drop());
  await migrate(clean.pool, { schema: clean.schema });
  const reference = await runProcessor({
    log: world.log,
    codec: world.codec,
    pool: clean.pool,
    consumer: uniqueName('crash_clean'),
    topics: processedTopics(),
    batchSize: 5_000,
    until: 'caught-up',
  });
  expect(reference.records).toBe(records);
  expect(reference.revisions).toBe(0);
  return clean;
}

/**
 * Every table equal to the clean run's, row for row and column for column: content hashes, values
 * and source offsets (which the processor keeps independent of batch boundaries), updated_at aside.
 */
async function expectSameAsClean(world: World, clean: IsolatedDatabase): Promise<void> {
  for (const table of PROCESSOR_TABLES) {
    const diff = await diffTable(services().postgresUrl, world.db.schema, clean.schema, table);
    expect(diff, table).toEqual({ table, rows: diff.rows, onlyLeft: [], onlyRight: [] });
    expect(await count(clean.pool, table), table).toBe(diff.rows);
  }
}

/**
 * The killed run stays `running` until `xasset reap` closes it as abandoned, once it has been silent
 * past its heartbeat timeout; the run that finished keeps its verdict.
 */
async function expectCrashedRunReaped(world: World, crashed: string, finished: string): Promise<void> {
  const ports = { log: world.log, codec: world.codec };
  const before = await foldControlLog(ports);
  expect(before.runs.runs[crashed]?.status).toBe('running');
  expect(before.runs.runs[finished]?.status).toBe('ok');
  const silent = Date.now() - (before.runs.runs[crashed]?.lastHeartbeat ?? 0);
  if (silent <= HEARTBEAT_TIMEOUT_MS)
    await new Promise((r) => setTimeout(r, HEARTBEAT_TIMEOUT_MS + 100 - silent));
  const { reaped } = await runXasset<{ reaped: { runId: string }[] }>(['reap'], world.env);
  expect(reaped.map((r) => r.runId)).toEqual([crashed]);
  const after = await foldControlLog(ports);
  expect(after.runs.runs[crashed]?.status).toBe('abandoned');
  expect(after.runs.runs[finished]?.status).toBe('ok');
}

describe('crash acceptance, real CLI processes killed with SIGKILL: embedded log', () => {
  // The log is a table in the test's own schema, so the product's topic and group names are safe.
  const backend = async () => embeddedBackend();

  it('a processor killed mid-run and restarted stores exactly what a clean run stores', async () => {
    const world = await openWorld(backend, { size: 'small', from: '20240102', to: '20240115' });
    try {
      const fetched = await runXasset<FetchReport>(fetchRange(world), world.env);
      expect(fetched.status).toBe('ok');
      const ends = await endOffsets(world.log, processedTopics());
      const records = total(ends);
      expect(records).toBe(onlyRun(fetched).stats.rowsEmitted);
      expect(records / BATCH).toBeGreaterThan(40);

      const kill = await killProcessorMidRun(world, records);
      const restarted = await runXasset<ProcessStats>(['process'], world.env);
      await expectRestartExactlyOnce(world, restarted, kill, ends);
      await expectSandboxRows(world, ends);
      await expectSameAsClean(world, await cleanRun(world, records));
    } finally {
      await world.close();
    }
  });

  it('a processor killed inside a P2 minute batch and restarted stores the minute bars of a clean run', async () => {
    const world = await openWorld(backend, { size: 'tiny', from: MINUTE_FROM, to: MINUTE_TO });
    try {
      // The minute modules at canary on a few codes of each pool: stocks, an index, and two
      // futures whose night sessions (copper to 01:00, gold to 02:30) belong to the next day.
      const codes = new Map<ApiName, string[]>([
        ['stk_mins', world.market.tradingOn('stock', MINUTE_TO).slice(0, 3)],
        ['idx_mins', ['000300.SH']],
        ['ft_mins', ['AU2404.SHF', 'CU2404.SHF']],
      ]);
      expect([...codes.keys()].sort()).toEqual([...MINUTE_APIS].sort());
      world.env.XASSET_GRAY_CANARY_CODES = [...codes.values()].flat().join(',');
      for (const module of MINUTE_MODULES)
        await runXasset(['gray', 'set', module, 'canary', '--reason', 'crash test'], world.env);
      const fetched = await runXasset<FetchReport>(
        ['fetch', '--from', world.from, '--to', world.to, '--force-phase', 'crash test backfill'],
        world.env,
      );
      expect(fetched.status).toBe('ok');
      const minuteRuns = fetched.runs.filter((run) => (MINUTE_MODULES as string[]).includes(run.stage));
      expect(minuteRuns.map((run) => run.status)).toEqual(MINUTE_MODULES.map(() => 'ok'));
      const fetchedCodes = minuteRuns.flatMap((run) =>
        run.pools.filter((p) => codes.has(p.apiName as ApiName)).map((p) => [p.apiName, p.codes]),
      );
      expect(new Map(fetchedCodes as [ApiName, string[]][])).toEqual(codes);

      const ends = await endOffsets(world.log, processedTopics());
      const records = total(ends);
      const minuteRecords = sum(
        [...ends]
          .filter(([slot]) => MINUTE_APIS.some((api) => slot.startsWith(`${rawTopic(api)}/`)))
          .map(([, n]) => n),
      );
      expect(minuteRecords / BATCH).toBeGreaterThan(30);

      const kill = await killProcessorInMinuteBatch(world, ends);
      const restarted = await runXasset<ProcessStats>(['process'], world.env);
      await expectRestartExactlyOnce(world, restarted, kill, ends);
      expect(restarted.revisions).toBe(0);

      // Per code and trading day: the sandbox's bars, once each, final, with the same values.
      const expected = expectedMinutes(world.market, codes, world.from, world.to);
      expect(sum(Object.values(expected).map((day) => day.rows))).toBe(minuteRecords);
      expect(await storedMinutes(world.db.pool)).toEqual(expected);
      // Friday's copper day: Thursday evening's night session (240 bars) and the day session (225).
      expect(expected[`CU2404.SHF|${MINUTE_TO}`]?.rows).toBe(240 + 225);
      await expectSameAsClean(world, await cleanRun(world, records));
    } finally {
      await world.close();
    }
  });

  it('a fetch killed mid-run and run again leaves no gap and re-fetches only the interrupted day', async () => {
    const world = await openWorld(backend, { size: 'tiny', from: '20240102', to: '20240115' });
    try {
      expect(world.days.length).toBeGreaterThanOrEqual(8);
      const kill = await killFetchMidDay(world);
      const again = await runXasset<FetchReport>(fetchRange(world), world.env);
      expect(again.status).toBe('ok');
      const processed = await runXasset<ProcessStats>(['process'], world.env);
      expect(processed.lagAtEnd).toBe(0);
      expect(processed.deadLettered.total).toBe(0);

      const ends = await endOffsets(world.log, processedTopics());
      await expectSandboxRows(world, ends);
      const copies = await expectOnlyInterruptedDayTwice(world, kill);
      expect(copies).toBeGreaterThan(0);
      // The second copies change nothing: every one is a duplicate, nothing is revised.
      expect(processed.records).toBe(total(ends));
      expect(processed.duplicates).toBe(copies);
      expect(processed.revisions).toBe(0);
      expect(processed.inserted).toBe(total(ends) - copies);
      await expectCrashedRunReaped(world, kill.crashedRunId, onlyRun(again).runId);
    } finally {
      await world.close();
    }
  });
});

describe('crash acceptance, real CLI processes killed with SIGKILL: Kafka + Confluent registry', () => {
  // The shared broker, every topic and group under a prefix of this test's own (XASSET_TOPIC_PREFIX).
  // One pipeline takes both kills: the restart after the processor's waits out a Kafka session.
  const backend = async () => prefixedKafkaBackend(services().kafkaBrokers, services().registryUrl);

  it('a fetch killed mid-day, then a processor killed mid-run, end with the rows of a clean run', async () => {
    const world = await openWorld(backend, { size: 'small', from: '20240102', to: '20240115' });
    try {
      const fetchKill = await killFetchMidDay(world);
      const again = await runXasset<FetchReport>(fetchRange(world), world.env);
      expect(again.status).toBe('ok');
      const ends = await endOffsets(world.log, processedTopics());
      const records = total(ends);
      expect(records / BATCH).toBeGreaterThan(40);

      const processorKill = await killProcessorMidRun(world, records);
      // The restarted processor gets its partitions only once the killed member's session has timed
      // out on the broker (kafkajs's default: 30 s). The clean run and the raw-log count use no group
      // of the product's, so they run meanwhile; one after the other, since concurrent offset queries
      // on one kafkajs client raced inside kafkajs (a TypeError from admin.fetchTopicOffsets).
      const meanwhile = async () => {
        const clean = await cleanRun(world, records);
        return { clean, copies: await expectOnlyInterruptedDayTwice(world, fetchKill) };
      };
      const [restarted, { clean, copies }] = await Promise.all([
        runXasset<ProcessStats>(['process'], world.env),
        meanwhile(),
      ]);
      await expectRestartExactlyOnce(world, restarted, processorKill, ends);
      await expectSandboxRows(world, ends);
      expect(copies).toBeGreaterThan(0);
      await expectSameAsClean(world, clean);
      await expectCrashedRunReaped(world, fetchKill.crashedRunId, onlyRun(again).runId);
    } finally {
      await world.close();
    }
  });

  it('two processors under one name split the partitions; one SIGKILLed mid-run, the survivor ends with the rows of a clean run', async () => {
    const world = await openWorld(backend, { size: 'tiny', from: '20240102', to: '20240115' });
    const assignments = world.assignments;
    if (!assignments) throw new Error('the Kafka backend reports group assignments');
    try {
      const name = uniqueName('scale');
      // One by the variable, one by the flag: both name the same group and the same stored offsets.
      const first = startXasset(['process', '--follow'], { ...world.env, XASSET_PROCESSOR_NAME: name });
      const second = startXasset(['--processor-name', name, 'process', '--follow'], world.env);
      const split = await pollUntil(
        'two members of one group, each holding partitions',
        async () => {
          const members = await assignments(name);
          return members.length === 2 && members.every((held) => held.length > 0) ? members : undefined;
        },
        { timeoutMs: 90_000, everyMs: 250 },
      );
      expect(new Set(split.flat()).size, 'no partition held twice').toBe(split.flat().length);

      // The records arrive while both consume; one member dies once it has stored some of its own.
      world.sandbox.setFaults({ '*': { latencyMs: 30 } });
      const fetch = startXasset(fetchRange(world), world.env);
      const victim = await pollUntil(
        'a member to store records of its own partitions while the fetch still runs',
        async () => {
          const stored = await storedOffsets(world.db.pool, name);
          const members = await assignments(name);
          return members.find((held) => held.some((slot) => (stored.get(slot) ?? 0) > 0));
        },
        { timeoutMs: 90_000, everyMs: 10, child: fetch },
      );
      // Which process holds `victim` is the broker's choice; the first one started is killed, and
      // the check below only needs one member gone while partitions of both were in use.
      expect((await first.kill()).signal).toBe('SIGKILL');
      world.sandbox.setFaults({});
      const fetched = await fetch.exited;
      expect(fetched.code, fetched.stderr.slice(-2_000)).toBe(0);

      const ends = await endOffsets(world.log, processedTopics());
      const records = total(ends);
      const done = await pollUntil(
        "the survivor to store every record, its peer's partitions included",
        async () => {
          const stored = await storedOffsets(world.db.pool, name);
          return total(stored) === records ? stored : undefined;
        },
        { timeoutMs: 120_000, everyMs: 100, child: second },
      );
      expect(done).toEqual(new Map([...ends].filter(([, end]) => end > 0)));
      expect(victim.length).toBeGreaterThan(0);
      expect(await storedOffsets(world.db.pool, DEFAULT_PROCESSOR_NAME)).toEqual(new Map());

      second.child.kill('SIGTERM');
      const survivor = await second.exited;
      expect(survivor.code, survivor.stderr.slice(-2_000)).toBe(0);
      const stats = JSON.parse(survivor.stdout) as ProcessStats;
      expect(stats.deadLettered.total).toBe(0);
      expect(stats.records).toBeGreaterThan(0);

      await expectSandboxRows(world, ends);
      await expectSameAsClean(world, await cleanRun(world, records));
    } finally {
      await world.close();
    }
  });
});

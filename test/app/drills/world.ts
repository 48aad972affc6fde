import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { processedTopics } from '../../../app/pipeline.js';
import type { SchemaCodec } from '../../../infra/codec/schema-codec.js';
import type { EventLog } from '../../../infra/log/event-log.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { runProcessor } from '../../../processors/processor.js';
import { type Sandbox, startSandbox } from '../../../producers/sandbox/server.js';
import { createSyntheticMarket, type SyntheticMarket } from '../../../producers/sandbox/synthetic/index.js';
import { foldControlLog } from '../../../projections/log/control-view.js';
import { type IsolatedDatabase, isolatedSchema, services, uniqueName } from '../../harness/services.js';
import type { CrashBackend } from '../crash/backend.js';
import { endOffsets } from '../crash/log.js';
import { calendarRows, expectedBars, expectedPerDay, ofAsset, openDates, P0_BARS } from '../crash/market.js';
import { barsPerDay, count, diffTable, PROCESSOR_TABLES, rowsPerDay, storedOffsets } from '../crash/store.js';
import { killLeftovers, runXasset } from '../crash/xasset.js';

const SEED = 20_241_010;

/**
 * One drill's world: its own event log (a backend of the caller's choice), a sandbox in this
 * process, a fresh schema, a state folder, and the CLI's env pointing at them.
 */
export interface DrillWorld {
  market: SyntheticMarket;
  sandbox: Sandbox;
  db: IsolatedDatabase;
  env: Record<string, string>;
  log: EventLog;
  codec: SchemaCodec;
  from: string;
  to: string;
  days: string[];
  onClose(cleanup: () => Promise<void>): void;
  close(): Promise<void>;
}

export async function openDrillWorld(
  backend: CrashBackend,
  options: { from: string; to: string; databaseUrl?: string; env?: Record<string, string> },
): Promise<DrillWorld> {
  const market = createSyntheticMarket({ seed: SEED, size: 'tiny' });
  const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, dataset: market });
  const databaseUrl = options.databaseUrl ?? services().postgresUrl;
  const db = await isolatedSchema(databaseUrl);
  const stateDir = await mkdtemp(join(tmpdir(), 'xasset-drill-'));
  const env = {
    ...backend.env,
    XASSET_HEARTBEAT_MS: '200',
    XASSET_HEARTBEAT_TIMEOUT_MS: '1500',
    XASSET_DATABASE_URL: databaseUrl,
    XASSET_DATABASE_SCHEMA: db.schema,
    XASSET_STATE_DIR: stateDir,
    XASSET_PROCESS_BATCH_SIZE: '100',
    TUSHARE_API_URL: sandbox.url,
    ...options.env,
  };
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    await killLeftovers();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await sandbox.close();
    await db.drop().catch(() => {});
    await rm(stateDir, { recursive: true, force: true });
    await backend.close().catch(() => {});
  };
  try {
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
    from: options.from,
    to: options.to,
    days: openDates(market, options.from, options.to),
    onClose: (cleanup) => cleanups.push(cleanup),
    close,
  };
}

/** `xasset fetch` of the P0 batch over the world's range, past the fresh store's phase rule. */
export const fetchArgs = (world: DrillWorld) => [
  'fetch',
  '--batch',
  'p0',
  '--from',
  world.from,
  '--to',
  world.to,
  '--force-phase',
  'fault drill backfill',
];

/** What `xasset fetch` prints. */
export interface FetchReport {
  status: string;
  runs: {
    runId: string;
    status: string;
    error: string | null;
    stats: { rowsEmitted: number; retries: number; errorsByClass: Record<string, number> };
  }[];
}

/** Every market-data table holds exactly what the sandbox serves over the range: no gap, no double. */
export async function expectSandboxRows(world: DrillWorld): Promise<void> {
  const bars = expectedBars(world.market, world.days);
  expect(Object.keys(bars).length).toBe(world.days.length * P0_BARS.length);
  expect(await barsPerDay(world.db.pool)).toEqual(bars);
  expect(await rowsPerDay(world.db.pool, 'futures_bar_ext')).toEqual(ofAsset(bars, 'futures'));
  expect(await rowsPerDay(world.db.pool, 'spot_sge_bar_ext')).toEqual(ofAsset(bars, 'spot'));
  expect(await rowsPerDay(world.db.pool, 'adj_factor')).toEqual(
    expectedPerDay(world.market, 'adj_factor', world.days),
  );
  expect(await count(world.db.pool, 'trade_calendar')).toBe(calendarRows(world.market, world.from, world.to));
}

/** Every record of the log stored: the processor's offsets are the log's ends. */
export async function expectCaughtUp(world: DrillWorld, consumer: string): Promise<void> {
  const ends = await endOffsets(world.log, processedTopics());
  expect(await storedOffsets(world.db.pool, consumer)).toEqual(new Map([...ends].filter(([, n]) => n > 0)));
}

/** The statuses of every run in the control log, after `xasset reap` closed the stale ones. */
export async function runStatuses(world: DrillWorld): Promise<Record<string, string>> {
  const state = await foldControlLog({ log: world.log, codec: world.codec });
  return Object.fromEntries(Object.values(state.runs.runs).map((r) => [r.runId, r.status]));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The world's log processed again without a fault, in one go, into a second schema of the same
 * server; every table must equal the drilled one row for row (content hashes and source offsets
 * included, updated_at aside).
 */
export async function expectSameAsClean(world: DrillWorld, databaseUrl: string): Promise<void> {
  const clean = await isolatedSchema(databaseUrl);
  try {
    await migrate(clean.pool, { schema: clean.schema });
    const reference = await runProcessor({
      log: world.log,
      codec: world.codec,
      pool: clean.pool,
      consumer: uniqueName('drill_clean'),
      topics: processedTopics(),
      batchSize: 5_000,
      until: 'caught-up',
    });
    expect(reference.deadLettered.total).toBe(0);
    for (const table of PROCESSOR_TABLES) {
      const diff = await diffTable(databaseUrl, world.db.schema, clean.schema, table);
      expect(diff, table).toEqual({ table, rows: diff.rows, onlyLeft: [], onlyRight: [] });
    }
  } finally {
    await clean.drop();
  }
}

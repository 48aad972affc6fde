/**
 * `npm run bench:ingest [-- --rows N --naive-rows M --batch B --seed S]`: raw P0 rows through Kafka
 * into PostgreSQL, three ways, in one run. See bench/README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';
import { endpoint, rawTopic } from '../contracts/catalog/index.js';
import { loadConfig } from '../contracts/config.js';
import { ValidationError } from '../contracts/errors.js';
import type { TableName } from '../contracts/normalized/tables.js';
import { ConfluentCodec } from '../infra/codec/confluent-codec.js';
import { KafkaEventLog } from '../infra/log/kafka-event-log.js';
import { type PlannedRow, planBatch, type SourcedRows, type SourceRef } from '../processors/batch.js';
import { normalize } from '../processors/normalize/index.js';
import { runProcessor } from '../processors/processor.js';
import { pageRecords } from '../producers/fetch/raw-record.js';
import { createSyntheticMarket } from '../producers/sandbox/synthetic/index.js';
import type { TusharePage } from '../producers/tushare/source.js';
import { runNaiveConsumer } from './naive-consumer.js';
import { P0_APIS, p0Pages } from './p0-pages.js';
import { copyFrom } from './pg-copy.js';
import {
  type BenchServices,
  benchServices,
  benchTopics,
  Cleanup,
  deleteSubjects,
  deleteTopics,
  environment,
  freshSchema,
  say,
} from './setup.js';
import { storedColumns, storedValues } from './stored-columns.js';

/** The first trade date of the generated rows; the synthetic market runs 2023…2026. */
const FROM_DATE = '20240102';

/** The product's defaults (batch size, seed, pool size), from the one config schema. */
const DEFAULTS = loadConfig({});

interface Options {
  rows: number;
  naiveRows: number;
  batch: number;
  concurrency: number;
  seed: number;
  /** Where to write the run as JSON, besides the table on stdout. */
  json: string | undefined;
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string' },
      'naive-rows': { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const issues: { path: string; message: string }[] = [];
  const int = (name: Exclude<keyof typeof values, 'json'>, fallback: number, min = 1) => {
    const text = values[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (Number.isSafeInteger(n) && n >= min) return n;
    issues.push({ path: `--${name}`, message: `an integer ≥ ${min}` });
    return fallback;
  };
  const rows = int('rows', 100_000);
  const options = {
    rows,
    naiveRows: Math.min(rows, int('naive-rows', 10_000)),
    batch: int('batch', DEFAULTS.pipeline.processBatchSize),
    concurrency: int('concurrency', DEFAULTS.pipeline.processConcurrency),
    seed: int('seed', DEFAULTS.sandbox.seed, 0),
    json: values.json,
  };
  if (issues.length > 0) throw new ValidationError('bench options', issues);
  return options;
}

const secondsSince = (start: number) => (performance.now() - start) / 1000;
const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

/** A progress line on stderr at most once a second, and once at the end. */
function progress(label: string, total: number): (done: number) => void {
  let last = performance.now();
  return (done) => {
    if (done < total && performance.now() - last < 1_000) return;
    last = performance.now();
    say(`${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
  };
}

interface Produced {
  topic: string;
  api: string;
  key: string | null;
  value: Buffer;
  partition: number;
  offset: number;
}

/** The producer's path per page, as a fetch run does it: raw records, encoded, appended. */
async function produce(
  pages: readonly TusharePage[],
  prefix: string,
  log: KafkaEventLog,
  codec: ConfluentCodec,
  total: number,
): Promise<{ seconds: number; produced: Produced[] }> {
  const report = progress('produce', total);
  const produced: Produced[] = [];
  const context = { runId: randomUUID(), fetchedAt: Date.now() };
  const started = performance.now();
  for (const page of pages) {
    const topic = prefix + rawTopic(page.apiName);
    const records = await pageRecords(endpoint(page.apiName), page, context, (value) =>
      codec.encode(topic, value),
    );
    const placed = await log.append(topic, records);
    records.forEach((record, i) => {
      const at = placed[i];
      if (at) produced.push({ topic, api: page.apiName, key: record.key, value: record.value, ...at });
    });
    report(produced.length);
  }
  return { seconds: secondsSince(started), produced };
}

/** The same records appended again, as a second fetch of the range would (not timed). */
async function reappend(produced: readonly Produced[], log: KafkaEventLog): Promise<void> {
  const byTopic = new Map<string, Produced[]>();
  for (const record of produced) {
    const list = byTopic.get(record.topic) ?? [];
    list.push(record);
    byTopic.set(record.topic, list);
  }
  const PAGE = 5_000;
  for (const [topic, records] of byTopic) {
    for (let start = 0; start < records.length; start += PAGE) {
      await log.append(
        topic,
        records.slice(start, start + PAGE).map(({ key, value }) => ({ key, value })),
      );
    }
  }
}

/** The highest resident set size seen while `work` runs, sampled every 50 ms. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; before: number; peak: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, before, peak };
  } finally {
    clearInterval(sampler);
  }
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The normalized rows the processor derives from the same records, for the COPY path (not timed). */
async function normalizedBars(produced: readonly Produced[], codec: ConfluentCodec): Promise<PlannedRow[]> {
  const sourced: SourcedRows[] = [];
  for (const record of produced) {
    const result = normalize(record.api, await codec.decode(record.topic, record.value));
    if (!result.ok) throw result.error;
    const { topic, partition, offset } = record;
    sourced.push({ source: { topic, partition, offset }, rows: result.rows });
  }
  return planBatch(sourced).byTable.get('market_bar') ?? [];
}

/** COPY of market_bar, then of the extension rows (futures, SGE) that travel with the bars. */
async function copyBars(pool: pg.Pool, bars: readonly PlannedRow[]): Promise<number> {
  const client = await pool.connect();
  try {
    const started = performance.now();
    await copyFrom(
      client,
      'market_bar',
      storedColumns('market_bar'),
      bars.map((bar) => storedValues('market_bar', bar.values, bar.source)),
    );
    const extensions = new Map<TableName, { values: PlannedRow['values']; source: SourceRef }[]>();
    for (const bar of bars) {
      for (const row of bar.dependents) {
        const list = extensions.get(row.table) ?? [];
        list.push({ values: row.values, source: bar.source });
        extensions.set(row.table, list);
      }
    }
    for (const [table, rows] of extensions) {
      await copyFrom(
        client,
        table,
        storedColumns(table),
        rows.map((row) => storedValues(table, row.values, row.source)),
      );
    }
    return secondsSince(started);
  } finally {
    client.release();
  }
}

async function expectBars(pool: pg.Pool, path: string, expected: number): Promise<void> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM market_bar');
  const stored = rows[0]?.n ?? 0;
  if (stored !== expected) throw new Error(`${path}: market_bar holds ${stored} rows, ${expected} expected`);
}

interface Result {
  path: string;
  rows: number;
  seconds: number;
}

function renderTable(results: readonly Result[]): string {
  const cells = [
    ['path', 'rows', 'seconds', 'rows/s'],
    ...results.map((r) => [
      r.path,
      String(r.rows),
      r.seconds.toFixed(2),
      Math.round(r.rows / r.seconds).toLocaleString('en-US'),
    ]),
  ];
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0))) ?? [];
  const line = (row: string[]) =>
    `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const [header = [], ...body] = cells;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

async function bench(
  options: Options,
  services: BenchServices,
  cleanup: Cleanup,
): Promise<{ text: string; json: unknown }> {
  const id = randomBytes(4).toString('hex');
  const prefix = `bench_${id}.`;

  let started = performance.now();
  const market = createSyntheticMarket({ seed: options.seed, size: 'default' });
  const { pages, days, rowsByApi } = p0Pages(market, options.rows, FROM_DATE);
  const dates = `${days.length} trade date${days.length === 1 ? '' : 's'}`;
  say(`generated ${options.rows} raw P0 rows over ${dates} in ${secondsSince(started).toFixed(1)} s`);

  const admin = new Kafka({
    clientId: 'xasset-bench',
    brokers: services.brokers,
    logLevel: logLevel.WARN,
  }).admin();
  cleanup.add('kafka admin', () => admin.disconnect());
  await admin.connect();
  const log = new KafkaEventLog({
    brokers: services.brokers,
    clientId: 'xasset-bench',
    log: (level, message, fields) =>
      level === 'error' || level === 'warn'
        ? say(`kafka ${level}: ${message} ${JSON.stringify(fields)}`)
        : undefined,
  });
  cleanup.add('event log', () => log.close());
  const { definitions, schemas } = benchTopics(prefix, P0_APIS);
  const topicNames = definitions.map((t) => t.name);
  cleanup.add('topics', () => deleteTopics(admin, topicNames));
  await log.ensureTopics(definitions);
  const codec = new ConfluentCodec(services.registryUrl, schemas);
  cleanup.add('registry subjects', () => deleteSubjects(services.registryUrl, topicNames));
  await codec.prepare(topicNames);

  const ours = await freshSchema(
    services.databaseUrl,
    `bench_${id}_ours`,
    DEFAULTS.database.poolSize,
    cleanup,
  );
  const limit = await freshSchema(
    services.databaseUrl,
    `bench_${id}_copy`,
    DEFAULTS.database.poolSize,
    cleanup,
  );
  const naive = await freshSchema(
    services.databaseUrl,
    `bench_${id}_naive`,
    DEFAULTS.database.poolSize,
    cleanup,
  );
  const env = await environment(admin, ours);
  const rawTopics = P0_APIS.map((api) => prefix + rawTopic(api));
  const results: Result[] = [];

  const { seconds: produceSeconds, produced } = await produce(pages, prefix, log, codec, options.rows);
  results.push({
    path: 'produce: raw records → ConfluentCodec → KafkaEventLog.append',
    rows: produced.length,
    seconds: produceSeconds,
  });

  const processorGroup = `${prefix}processor`;
  cleanup.add('processor group', () => admin.deleteGroups([processorGroup]));
  const reportProcessed = progress('ours (runProcessor)', produced.length);
  const processOptions = {
    log,
    codec,
    pool: ours,
    consumer: processorGroup,
    topics: rawTopics,
    topicPrefix: prefix,
    batchSize: options.batch,
    concurrency: options.concurrency,
    until: 'caught-up',
  } as const;
  const oursCpu = process.cpuUsage();
  started = performance.now();
  let oursFirst: number | undefined;
  const {
    result: stats,
    before: rssBefore,
    peak: rssPeak,
  } = await peakRss(() =>
    runProcessor({
      ...processOptions,
      onProgress: (s) => {
        oursFirst ??= secondsSince(started);
        reportProcessed(s.records);
      },
    }),
  );
  const oursSeconds = secondsSince(started);
  results.push({
    path: 'ours: runProcessor (Kafka → PostgreSQL, until caught-up)',
    rows: stats.records,
    seconds: oursSeconds,
  });
  const oursCpuSeconds = cpuSeconds(process.cpuUsage(oursCpu));
  await expectBars(ours, 'ours', produced.length);

  say('copy: decoding and normalizing the same records (not timed)');
  const bars = await normalizedBars(produced, codec);
  say(`copy: COPY FROM STDIN of ${bars.length} bars`);
  results.push({
    path: 'limit: COPY FROM STDIN of the normalized rows',
    rows: bars.length,
    seconds: await copyBars(limit, bars),
  });
  await expectBars(limit, 'limit', produced.length);

  const naiveGroup = `${prefix}naive`;
  cleanup.add('naive group', () => admin.deleteGroups([naiveGroup]));
  const reportNaive = progress('naive consumer', options.naiveRows);
  started = performance.now();
  let naiveFirst: number | undefined;
  const naiveSeconds = await runNaiveConsumer({
    brokers: services.brokers,
    registryUrl: services.registryUrl,
    pool: naive,
    group: naiveGroup,
    topics: new Map(P0_APIS.map((api) => [prefix + rawTopic(api), api])),
    limit: options.naiveRows,
    onProgress: (written) => {
      naiveFirst ??= secondsSince(started);
      reportNaive(written);
    },
  });
  results.push({
    path: 'naive: kafkajs eachMessage, 1 upsert per row',
    rows: options.naiveRows,
    seconds: naiveSeconds,
  });
  await expectBars(naive, 'naive', options.naiveRows);

  // Last: the naive consumer reads the raw topics from the start and must not meet the copies.
  say('re-ingest: appending the same records again (not timed)');
  await reappend(produced, log);
  const reportAgain = progress('re-ingest (runProcessor)', produced.length);
  started = performance.now();
  const again = await runProcessor({ ...processOptions, onProgress: (s) => reportAgain(s.records) });
  results.push({
    path: 're-ingest: the same records again (all duplicates)',
    rows: again.records,
    seconds: secondsSince(started),
  });
  const rewritten = Object.values(again.rowsWritten).reduce((a, b) => a + (b ?? 0), 0);
  if (again.records !== produced.length || rewritten !== 0 || again.published !== 0) {
    throw new Error(
      `re-ingest: ${again.records} records, ${rewritten} rows written, ${again.published} published; ${produced.length}, 0 and 0 expected`,
    );
  }

  const mix = P0_APIS.map((api) => `${api} ${rowsByApi[api]}`).join(', ');
  const rate = (path: string) => {
    const r = results.find((x) => x.path.startsWith(path));
    return r ? r.rows / r.seconds : Number.NaN;
  };
  const ratios = {
    oursOverCopy: rate('ours') / rate('limit'),
    oursOverNaive: rate('ours') / rate('naive'),
    reingestOverOurs: rate('re-ingest') / rate('ours'),
  };
  const loadAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  const text = [
    `ingest benchmark: N = ${options.rows} raw P0 records (${mix}), ${dates} from ${days[0]}, seed ${options.seed}`,
    `environment: ${env.cores} (load ${env.loadAverages.join(' ')} at start, ${loadAtEnd.join(' ')} at end); Node ${env.node}; PostgreSQL ${env.postgres}; Kafka ${env.kafka}`,
    `processor: ${options.batch} records per transaction at most, ${options.concurrency} partitions at once, ${stats.batches} transactions, ${stats.published} bars published to ${prefix}market.*`,
    `processor CPU (this process, user + system): ${oursCpuSeconds.toFixed(2)} s; peak RSS ${mb(rssPeak)} MB (${mb(rssBefore)} MB before the run, the generated records included)`,
    `first write (connect + group join + first batch or message): ours ${oursFirst?.toFixed(2)} s, naive ${naiveFirst?.toFixed(2)} s`,
    `ratios: ours/COPY ${ratios.oursOverCopy.toFixed(3)}, ours/naive ${ratios.oursOverNaive.toFixed(1)}, re-ingest/ours ${ratios.reingestOverOurs.toFixed(2)} (re-ingest wrote 0 rows)`,
    '',
    renderTable(results),
  ].join('\n');
  const json = {
    benchmark: 'ingest',
    mix: 'p0-daily',
    rows: options.rows,
    rowsByApi,
    tradeDates: days.length,
    options: { ...options, json: undefined },
    environment: { ...env, loadAtEnd },
    processor: {
      transactions: stats.batches,
      published: stats.published,
      cpuSeconds: oursCpuSeconds,
      rssBeforeBytes: rssBefore,
      peakRssBytes: rssPeak,
      firstWriteSeconds: oursFirst,
    },
    results: results.map((r) => ({ ...r, rowsPerSecond: r.rows / r.seconds })),
    ratios,
  };
  return { text, json };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const cleanup = new Cleanup();
  const interrupted = (signal: string) => {
    say(`${signal}: cleaning up`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const { text, json } = await bench(options, benchServices(process.env), cleanup);
    console.log(text);
    if (options.json) await writeFile(options.json, `${JSON.stringify(json, null, 2)}\n`);
  } finally {
    say('cleaning up');
    await cleanup.run();
  }
}

main().catch((err: unknown) => {
  say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});

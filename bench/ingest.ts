/**
 * `npm run bench:ingest [-- --rows N --naive-rows M --batch B --seed S]`: raw P0 rows through Kafka
 * into PostgreSQL, three ways, in one run. See bench/README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type Admin, AssignerProtocol } from 'kafkajs';
import type pg from 'pg';
import { endpoint, rawTopic } from '../contracts/catalog/index.js';
import { loadConfig } from '../contracts/config.js';
import { ValidationError } from '../contracts/errors.js';
import type { TableName } from '../contracts/normalized/tables.js';
import { ConfluentCodec } from '../infra/codec/confluent-codec.js';
import type { KafkaEventLog } from '../infra/log/kafka-event-log.js';
import { type PlannedRow, planBatch, type SourcedRows, type SourceRef } from '../processors/batch.js';
import { normalize } from '../processors/normalize/index.js';
import { runProcessor } from '../processors/processor.js';
import { pageRecords } from '../producers/fetch/raw-record.js';
import { createSyntheticMarket } from '../producers/sandbox/synthetic/index.js';
import type { TusharePage } from '../producers/tushare/source.js';
import { type ChildRun, startChildProcessor } from './child-processor.js';
import { embeddedRun } from './embedded.js';
import { MINUTE_APIS, minutePages } from './minute-pages.js';
import { runNaiveConsumer } from './naive-consumer.js';
import { P0_APIS, p0Pages } from './p0-pages.js';
import { copyFrom } from './pg-copy.js';
import { formatSummary, startProfile, summarizeProfile } from './profile.js';
import {
  type BenchServices,
  benchKafka,
  benchServices,
  benchTopics,
  type Cleanup,
  deleteSubjects,
  deleteTopicsWithPrefix,
  environment,
  freshSchema,
  runBench,
  say,
} from './setup.js';
import { storedColumns, storedValues } from './stored-columns.js';

/** The first trade date of the generated rows; the synthetic market runs 2023…2026. */
const FROM_DATE = '20240102';

/** The product's defaults (batch size, seed, pool size), from the one config schema. */
const DEFAULTS = loadConfig({});

/** What the records are: the P0 daily bars, or 1-minute bars of stocks and futures. */
type Mix = 'p0' | 'minute';

interface Options {
  mix: Mix;
  rows: number;
  naiveRows: number;
  batch: number;
  concurrency: number;
  seed: number;
  /** Where to write the run as JSON, besides the table on stdout. */
  json: string | undefined;
  /** Run `xasset process` once alone and then twice in one group, over the same records. */
  scaleOut: boolean;
  /** Also run `xasset process` over the first this-many records, for its peak RSS beside N's. */
  rssRows: number | undefined;
  /** Records the embedded mode (PGlite, log in a table) processes; 0 leaves the line out. */
  embeddedRows: number;
  /** Where to write a CPU profile of the `ours` phase alone; its summary goes to stderr. */
  profile: string | undefined;
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
      mix: { type: 'string' },
      'scale-out': { type: 'boolean' },
      'rss-rows': { type: 'string' },
      'embedded-rows': { type: 'string' },
      profile: { type: 'string' },
    },
  });
  const issues: { path: string; message: string }[] = [];
  const int = (
    name: Exclude<keyof typeof values, 'json' | 'mix' | 'scale-out' | 'profile'>,
    fallback: number,
    min = 1,
  ) => {
    const text = values[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (Number.isSafeInteger(n) && n >= min) return n;
    issues.push({ path: `--${name}`, message: `an integer ≥ ${min}` });
    return fallback;
  };
  const rows = int('rows', 100_000);
  const mix = values.mix ?? 'p0';
  if (mix !== 'p0' && mix !== 'minute') issues.push({ path: '--mix', message: 'p0 or minute' });
  const rssRows = values['rss-rows'] === undefined ? undefined : int('rss-rows', 100_000);
  if (rssRows !== undefined && rssRows >= rows)
    issues.push({ path: '--rss-rows', message: 'fewer than --rows' });
  const options: Options = {
    mix: mix === 'minute' ? 'minute' : 'p0',
    rows,
    naiveRows: Math.min(rows, int('naive-rows', 10_000)),
    batch: int('batch', DEFAULTS.pipeline.processBatchSize),
    concurrency: int('concurrency', DEFAULTS.pipeline.processConcurrency),
    seed: int('seed', DEFAULTS.sandbox.seed, 0),
    json: values.json,
    scaleOut: values['scale-out'] === true,
    rssRows,
    embeddedRows: Math.min(rows, int('embedded-rows', 0, 0)),
    profile: values.profile,
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
async function normalizedRows(
  produced: readonly Produced[],
  codec: ConfluentCodec,
  table: TableName,
): Promise<PlannedRow[]> {
  const sourced: SourcedRows[] = [];
  for (const record of produced) {
    const result = normalize(record.api, await codec.decode(record.topic, record.value));
    if (!result.ok) throw result.error;
    const { topic, partition, offset } = record;
    sourced.push({ source: { topic, partition, offset }, rows: result.rows });
  }
  return planBatch(sourced).byTable.get(table) ?? [];
}

/** COPY of the mix's table, then of the extension rows (futures, SGE) that travel with its rows. */
async function copyRows(pool: pg.Pool, table: TableName, rows: readonly PlannedRow[]): Promise<number> {
  const client = await pool.connect();
  try {
    const started = performance.now();
    await copyFrom(
      client,
      table,
      storedColumns(table),
      rows.map((row) => storedValues(table, row.values, row.source)),
    );
    const extensions = new Map<TableName, { values: PlannedRow['values']; source: SourceRef }[]>();
    for (const row of rows) {
      for (const dependent of row.dependents) {
        const list = extensions.get(dependent.table) ?? [];
        list.push({ values: dependent.values, source: row.source });
        extensions.set(dependent.table, list);
      }
    }
    for (const [extTable, extRows] of extensions) {
      await copyFrom(
        client,
        extTable,
        storedColumns(extTable),
        extRows.map((row) => storedValues(extTable, row.values, row.source)),
      );
    }
    return secondsSince(started);
  } finally {
    client.release();
  }
}

async function expectRows(pool: pg.Pool, table: TableName, path: string, expected: number): Promise<void> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
  const stored = rows[0]?.n ?? 0;
  if (stored !== expected) throw new Error(`${path}: ${table} holds ${stored} rows, ${expected} expected`);
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

/** The records of a mix: which endpoints, which table holds one row per record, how they are paged. */
interface MixSpec {
  apis: readonly string[];
  table: TableName;
  label: string;
  pages: (
    market: ReturnType<typeof createSyntheticMarket>,
    rows: number,
  ) => { pages: TusharePage[]; days: string[]; rowsByApi: Record<string, number> };
}

const MIXES: Record<Mix, MixSpec> = {
  p0: {
    apis: P0_APIS,
    table: 'market_bar',
    label: 'raw P0 records',
    pages: (market, rows) => p0Pages(market, rows, FROM_DATE),
  },
  minute: {
    apis: MINUTE_APIS,
    table: 'minute_bar',
    label: 'raw 1-minute bars of stocks and futures',
    pages: (market, rows) => minutePages(market, rows, FROM_DATE),
  },
};

/** One consumer group of `xasset process --follow` children over a copy of the records. */
interface GroupRun {
  members: ChildRun[];
  /** From the first record appended to the last one stored (the members joined before). */
  seconds: number;
  rowsPerSecond: number;
}

interface GroupContext {
  services: BenchServices;
  id: string;
  apis: readonly string[];
  table: TableName;
  options: Options;
  log: KafkaEventLog;
  admin: Admin;
  cleanup: Cleanup;
}

/** The partitions each member of a stable group holds; empty while it rebalances. */
async function groupAssignments(admin: Admin, group: string): Promise<number[]> {
  const { groups } = await admin.describeGroups([group]);
  const described = groups[0];
  if (described?.state !== 'Stable') return [];
  return described.members.map((member) => {
    const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    return Object.values(decoded?.assignment ?? {}).reduce((sum, partitions) => sum + partitions.length, 0);
  });
}

async function until(what: string, check: () => Promise<boolean>, failed: Promise<unknown>): Promise<void> {
  let stop = false;
  const watch = failed.then(
    () => {
      stop = true;
      throw new Error(`${what}: a child ended first`);
    },
    (err: unknown) => {
      stop = true;
      throw err;
    },
  );
  const poll = (async () => {
    while (!stop && !(await check())) await new Promise((resolve) => setTimeout(resolve, 100));
  })();
  await Promise.race([poll, watch]);
  stop = true;
}

/**
 * `members` × `xasset process --follow` under one processor name, each child a real CLI process,
 * into one fresh schema, reading topics of their own. Once the group is stable with every member
 * holding partitions, the records are appended (their append overlaps the processing, as it does
 * in production) and the clock runs until the stored offsets cover them all; then SIGTERM.
 */
async function groupRun(
  context: GroupContext,
  label: string,
  members: number,
  records: readonly Produced[],
): Promise<GroupRun> {
  const { services, id, apis, table, options, log, admin, cleanup } = context;
  const prefix = `bench_${id}_${label}.`;
  cleanup.add(`topics of ${label}`, () => deleteTopicsWithPrefix(admin, prefix));
  await log.ensureTopics(benchTopics(prefix, apis).definitions);
  const schema = `bench_${id}_${label}`;
  const pool = await freshSchema(services.databaseUrl, schema, 2, cleanup);
  // The children's log prefixes their consumer group as it prefixes topics; consumer_offset keeps the name.
  const name = 'processor';
  const group = prefix + name;
  const env = {
    XASSET_LOG: 'kafka',
    XASSET_KAFKA_BROKERS: services.brokers.join(','),
    XASSET_REGISTRY_URL: services.registryUrl,
    XASSET_TOPIC_PREFIX: prefix,
    XASSET_DATABASE_URL: services.databaseUrl,
    XASSET_DATABASE_SCHEMA: schema,
    XASSET_PROCESSOR_NAME: name,
    XASSET_PROCESS_BATCH_SIZE: String(options.batch),
    XASSET_PROCESS_CONCURRENCY: String(options.concurrency),
  };
  say(`${label}: starting ${members} × xasset process --follow`);
  const children = Array.from({ length: members }, () => startChildProcessor(env));
  cleanup.add(`${label} children`, () => Promise.allSettled(children.map((child) => child.stop())));
  const anyExit = Promise.race(children.map((child) => child.exited));
  await until(
    `${label}: ${members} members each holding partitions`,
    async () => {
      const held = await groupAssignments(admin, group);
      return held.length === members && held.every((n) => n > 0);
    },
    anyExit,
  );
  say(`${label}: group stable; appending ${records.length} records`);
  const started = performance.now();
  await reappend(
    records.map((record) => ({
      ...record,
      topic: prefix + record.topic.slice(record.topic.indexOf('.') + 1),
    })),
    log,
  );
  const report = progress(label, records.length);
  await until(
    `${label}: every record stored`,
    async () => {
      const { rows } = await pool.query<{ n: string | null }>(
        'SELECT sum(next_offset)::text AS n FROM consumer_offset WHERE consumer = $1',
        [name],
      );
      const stored = Number(rows[0]?.n ?? 0);
      report(stored);
      return stored >= records.length;
    },
    anyExit,
  );
  const seconds = secondsSince(started);
  const runs = await Promise.all(children.map((child) => child.stop()));
  await expectRows(pool, table, label, records.length);
  const consumed = runs.reduce((sum, run) => sum + run.stats.records, 0);
  if (consumed !== records.length)
    throw new Error(`${label}: the members consumed ${consumed} records, ${records.length} expected`);
  return { members: runs, seconds, rowsPerSecond: records.length / seconds };
}

async function bench(
  options: Options,
  services: BenchServices,
  cleanup: Cleanup,
): Promise<{ text: string; json: unknown }> {
  const id = randomBytes(4).toString('hex');
  const prefix = `bench_${id}.`;
  const mixSpec = MIXES[options.mix];
  const { apis, table } = mixSpec;

  let started = performance.now();
  const market = createSyntheticMarket({ seed: options.seed, size: 'default' });
  const { pages, days, rowsByApi } = mixSpec.pages(market, options.rows);
  const dates = `${days.length} trade date${days.length === 1 ? '' : 's'}`;
  say(`generated ${options.rows} ${mixSpec.label} over ${dates} in ${secondsSince(started).toFixed(1)} s`);

  const { admin, log } = await benchKafka(services, cleanup);
  const { definitions, schemas } = benchTopics(prefix, apis);
  const topicNames = definitions.map((t) => t.name);
  // `xasset process` children create the rest of the product's topics under the same prefix.
  cleanup.add('topics', () => deleteTopicsWithPrefix(admin, prefix));
  await log.ensureTopics(definitions);
  const codec = new ConfluentCodec(services.registryUrl, schemas);
  cleanup.add('registry subjects', () => deleteSubjects(services.registryUrl, topicNames));
  await codec.prepare(topicNames);

  const fresh = (suffix: string) =>
    freshSchema(services.databaseUrl, `bench_${id}_${suffix}`, DEFAULTS.database.poolSize, cleanup);
  const ours = await fresh('ours');
  const limit = await fresh('copy');
  const naive = await fresh('naive');
  const env = await environment(admin, ours);
  const rawTopics = apis.map((api) => prefix + rawTopic(api));
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
  const stopProfile = options.profile ? await startProfile(options.profile) : undefined;
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
  if (stopProfile) {
    const profile = await stopProfile();
    say(`profile of ours written to ${options.profile}\n${formatSummary(summarizeProfile(profile, 30))}`);
  }
  await expectRows(ours, table, 'ours', produced.length);

  say('copy: decoding and normalizing the same records (not timed)');
  const rows = await normalizedRows(produced, codec, table);
  say(`copy: COPY FROM STDIN of ${rows.length} ${table} rows`);
  results.push({
    path: 'limit: COPY FROM STDIN of the normalized rows',
    rows: rows.length,
    seconds: await copyRows(limit, table, rows),
  });
  await expectRows(limit, table, 'limit', produced.length);

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
    topics: new Map(apis.map((api) => [prefix + rawTopic(api), api])),
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
  await expectRows(naive, table, 'naive', options.naiveRows);

  // The core lines on stderr now: the children and the re-ingest below take as long again.
  say(
    `so far: ${results.map((r) => `${r.path.split(':')[0]} ${Math.round(r.rows / r.seconds)} rows/s`).join(', ')}`,
  );
  // Children read topics of their own, each group a fresh copy of the records.
  const groups: GroupContext = { services, id, apis, table, options, log, admin, cleanup };
  const single =
    options.scaleOut || options.rssRows !== undefined
      ? await groupRun(groups, 'one', 1, produced)
      : undefined;
  const pair = options.scaleOut ? await groupRun(groups, 'two', 2, produced) : undefined;
  const smaller =
    options.rssRows === undefined
      ? undefined
      : await groupRun(groups, 'small', 1, produced.slice(0, options.rssRows));
  if (single) {
    results.push({ path: 'scale-out: 1 × xasset process', rows: produced.length, seconds: single.seconds });
  }
  if (pair) {
    pair.members.forEach((run, i) => {
      results.push({
        path: `scale-out: 2 × xasset process, member ${i + 1}`,
        rows: run.stats.records,
        seconds: pair.seconds,
      });
    });
    results.push({
      path: 'scale-out: 2 × xasset process, both',
      rows: produced.length,
      seconds: pair.seconds,
    });
  }
  const atN = single?.members[0];
  const atM = smaller?.members[0];

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

  const embedded =
    options.embeddedRows > 0
      ? await embeddedRun(mixSpec.pages(market, options.embeddedRows).pages, apis, table, options)
      : undefined;
  if (embedded) {
    results.push({
      path: 'embedded: runProcessor on PGlite, log in a table',
      rows: embedded.records,
      seconds: embedded.seconds,
    });
  }

  const mix = apis.map((api) => `${api} ${rowsByApi[api]}`).join(', ');
  const rate = (path: string) => {
    const r = results.find((x) => x.path.startsWith(path));
    return r ? r.rows / r.seconds : Number.NaN;
  };
  const ratios = {
    oursOverCopy: rate('ours') / rate('limit'),
    oursOverNaive: rate('ours') / rate('naive'),
    reingestOverOurs: rate('re-ingest') / rate('ours'),
    ...(single && pair ? { scaleOutPairOverSingle: pair.rowsPerSecond / single.rowsPerSecond } : {}),
    ...(atM && atN ? { peakRssAtNOverSmaller: atN.peakRssBytes / atM.peakRssBytes } : {}),
  };
  const loadAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  const lines = [
    `ingest benchmark: N = ${options.rows} ${mixSpec.label} (${mix}), ${dates} from ${days[0]}, seed ${options.seed}`,
    `environment: ${env.cores} (load ${env.loadAverages.join(' ')} at start, ${loadAtEnd.join(' ')} at end); Node ${env.node}; PostgreSQL ${env.postgres}; Kafka ${env.kafka}`,
    `processor: ${options.batch} records per transaction at most, ${options.concurrency} partitions at once, ${stats.batches} transactions, ${stats.published} rows published to ${prefix}${options.mix === 'minute' ? 'market.*.minute.v1' : 'market.*'}`,
    `processor CPU (this process, user + system): ${oursCpuSeconds.toFixed(2)} s; peak RSS ${mb(rssPeak)} MB (${mb(rssBefore)} MB before the run, the generated records included)`,
    `first write (connect + group join + first batch or message): ours ${oursFirst?.toFixed(2)} s, naive ${naiveFirst?.toFixed(2)} s`,
    `ratios: ours/COPY ${ratios.oursOverCopy.toFixed(3)}, ours/naive ${ratios.oursOverNaive.toFixed(1)}, re-ingest/ours ${ratios.reingestOverOurs.toFixed(2)} (re-ingest wrote 0 rows)`,
  ];
  if (single && pair) {
    const each = pair.members
      .map(
        (run) =>
          `${run.stats.records} records, ${Math.round(run.stats.records / pair.seconds).toLocaleString('en-US')} rows/s, CPU ${run.cpuSeconds.toFixed(1)} s`,
      )
      .join('; ');
    lines.push(
      `scale-out (${availableParallelism()} cores for Kafka, PostgreSQL and every process): 1 instance ${Math.round(single.rowsPerSecond).toLocaleString('en-US')} rows/s (CPU ${atN?.cpuSeconds.toFixed(1)} s); 2 instances ${Math.round(pair.rowsPerSecond).toLocaleString('en-US')} rows/s together (${each}); ratio ${(ratios.scaleOutPairOverSingle ?? Number.NaN).toFixed(2)}`,
    );
  }
  if (atN) {
    lines.push(
      `peak RSS of xasset process (VmHWM): ${atM && options.rssRows !== undefined ? `${options.rssRows.toLocaleString('en-US')} records ${mb(atM.peakRssBytes)} MB, ` : ''}${options.rows.toLocaleString('en-US')} records ${mb(atN.peakRssBytes)} MB${ratios.peakRssAtNOverSmaller ? ` (${ratios.peakRssAtNOverSmaller.toFixed(2)}×)` : ''}`,
    );
  }
  if (embedded) {
    lines.push(
      `embedded (PGlite in process, the log in a table of it): ${embedded.records} records in ${embedded.seconds.toFixed(2)} s, ${Math.round(embedded.records / embedded.seconds).toLocaleString('en-US')} rows/s`,
    );
  }
  const text = [...lines, '', renderTable(results)].join('\n');
  const groupJson = (run: GroupRun | undefined) =>
    run && {
      seconds: run.seconds,
      rowsPerSecond: run.rowsPerSecond,
      members: run.members.map((m) => ({
        records: m.stats.records,
        cpuSeconds: m.cpuSeconds,
        peakRssBytes: m.peakRssBytes,
      })),
    };
  const json = {
    benchmark: 'ingest',
    mix: options.mix === 'minute' ? 'minute' : 'p0-daily',
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
    scaleOut: { single: groupJson(single), pair: groupJson(pair) },
    rss: { rows: options.rssRows, atRows: atM?.peakRssBytes, atN: atN?.peakRssBytes },
    embedded,
    results: results.map((r) => ({ ...r, rowsPerSecond: r.rows / r.seconds })),
    ratios,
  };
  return { text, json };
}

runBench(async (cleanup) => {
  const options = readOptions(process.argv.slice(2));
  return { ...(await bench(options, benchServices(process.env), cleanup)), jsonPath: options.json };
});

import type pg from 'pg';
import { rawTopic } from '../contracts/catalog/index.js';
import {
  DecodeError,
  DependencyUnavailableError,
  describeGap,
  EventLogError,
  LogBehindStoreError,
  SchemaRegistryError,
  ValidationError,
  type XassetError,
} from '../contracts/errors.js';
import { type DeadLetter, DLQ_TOPIC } from '../contracts/events/dead-letter.js';
import {
  isMinuteAsset,
  isRealtimeAsset,
  minuteTopic,
  realtimeTopic,
} from '../contracts/normalized/intraday.js';
import { isMarketAsset, marketKey, marketTopic } from '../contracts/normalized/market.js';
import type { TableName } from '../contracts/normalized/tables.js';
import type { SchemaCodec } from '../infra/codec/schema-codec.js';
import type { EventLog, LogRecord, OutgoingRecord, Subscription } from '../infra/log/event-log.js';
import { pipelineMetrics } from '../infra/metrics/registry.js';
import { outageDelay, pause } from '../infra/outage.js';
import { isConnectionLoss, withTransaction } from '../infra/store/pg.js';
import { acceptsCopyFromStdin } from '../infra/store/pg-copy.js';
import { type BatchPlan, type PlannedRow, planBatch, type SourcedRows } from './batch.js';
import { verifyLogPositions } from './log-check.js';
import { canNormalize, normalize } from './normalize/index.js';
import { recordRevisions, revisionsByDay } from './publication.js';
import {
  analyzeIfNeverAnalyzed,
  type Change,
  type OffsetCommit,
  OffsetMovedError,
  predictChanges,
  readConsumerOffsets,
  type SinkResult,
  type Staging,
  sinkBatch,
} from './sink/pg-sink.js';

type Stage = DeadLetter['stage'];

export interface ProcessStats {
  /** Raw records consumed (dead letters included; redelivered records already stored excluded). */
  records: number;
  /** Redelivered records below the stored consumer offset, skipped. */
  skipped: number;
  /** Rows inserted or updated per table, extension tables included. */
  rowsWritten: Partial<Record<TableName, number>>;
  inserted: number;
  revisions: number;
  /** Provisional (realtime) minute bars replaced by their history bar: neither new rows nor revisions. */
  finalized: number;
  /** Rows whose stored content was already equal (identical re-fetches), within and across batches. */
  duplicates: number;
  /** Normalized rows appended to `market.<asset>.v1`, `.minute.v1` and `.realtime.v1`. */
  published: number;
  deadLettered: { total: number; byStage: Partial<Record<Stage, number>>; byCode: Record<string, number> };
  /** Database transactions committed. */
  batches: number;
  durationMs: number;
  /** Records in the log not yet consumed when the run ended (0 after a caught-up run). */
  lagAtEnd: number;
}

/** The slice of a pino logger the processor uses. */
export interface ProcessorLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface ProcessorOptions {
  log: EventLog;
  codec: SchemaCodec;
  pool: pg.Pool;
  /** Consumer name: the log group and the consumer_offset rows. One running processor per name. */
  consumer: string;
  /** Raw topics (`tushare.raw.<api_name>`) of endpoints with a normalizer. */
  topics: readonly string[];
  /** Raw records per database transaction at most; bigger log batches are split. */
  batchSize: number;
  /**
   * Partitions processed at the same time, each in its own transaction on its own connection (1 by
   * default). Their keys are disjoint (a raw key holds the row's natural key), so they never write
   * the same row; one partition's CPU work overlaps another's database round trips.
   */
  concurrency?: number;
  /**
   * `caught-up`: stop once the end offsets seen at start are stored (`xasset process`); `stopped`:
   * keep consuming until `signal` aborts. Either way an abort stops after the batch in flight.
   */
  until: 'caught-up' | 'stopped';
  signal?: AbortSignal;
  onProgress?: (stats: ProcessStats) => void;
  logger?: ProcessorLogger;
  /**
   * Prefix of every topic read and written (`<prefix>tushare.raw.daily`, `<prefix>xasset.dlq.v1`,
   * `<prefix>market.stock.v1`), for environments sharing one Kafka cluster; none by default.
   */
  topicPrefix?: string;
  /**
   * How long a batch whose database connection was lost is redone, with backoff, before the run
   * fails (a restart, a failover); 0 fails at once.
   */
  outagePatienceMs?: number;
}

const slotOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Thrown inside the log handler to stop without committing the rest of a log batch. */
class Stopping extends Error {}

/** The sink did not do what the read before it predicted: someone else wrote the same keys. */
class PredictionMismatch extends Error {}

const ATTEMPTS = 5;

/**
 * Consumes raw topics into the market-data tables, exactly once in effect.
 *
 * The database is the source of truth for progress: consumer_offset is written in the same
 * transaction as the rows. The log group's committed offsets trail it (the log commits a batch
 * only after the handler returns), so after a crash between the two the log redelivers records the
 * database already holds, and they are skipped here. Per batch of at most `batchSize` records:
 *
 * 1. decode (DecodeError → dead letter, stage `decode`) and normalize (NormalizeError → dead
 *    letter, stage `normalize`); poison never stops the run and is never dropped silently;
 * 2. collapse to one row per key, last by offset wins (planBatch);
 * 3. read which market_bar rows the upsert will insert or revise;
 * 4. append the dead letters and those normalized bars to the log — before the commit, so a crash
 *    can only repeat them (at least once), never lose them;
 * 5. one transaction: stage + upsert every table, compare-and-set the consumer offsets, check the
 *    upsert changed exactly the predicted bars, commit.
 *
 * A crash anywhere leaves the database either before or after step 5 as a whole, and a restart
 * continues from the stored offsets; the rows end up equal to a run without the crash.
 */
export async function runProcessor(options: ProcessorOptions): Promise<ProcessStats> {
  const started = Date.now();
  const apiOf = topicApis(options.topics, options.topicPrefix ?? '');
  const stats: ProcessStats = {
    records: 0,
    skipped: 0,
    rowsWritten: {},
    inserted: 0,
    revisions: 0,
    finalized: 0,
    duplicates: 0,
    published: 0,
    deadLettered: { total: 0, byStage: {}, byCode: {} },
    batches: 0,
    durationMs: 0,
    lagAtEnd: 0,
  };
  const staging: Staging = (await acceptsCopyFromStdin(options.pool)) ? 'copy' : 'unnest';
  const positions = await readConsumerOffsets(options.pool, options.consumer, options.topics);
  await refuseIfLogAhead(options, positions);
  const checkPositions = async (assignment: ReadonlyMap<string, readonly number[]> | readonly string[]) => {
    try {
      await verifyLogPositions({
        log: options.log,
        pool: options.pool,
        consumer: options.consumer,
        assignment,
      });
    } catch (err) {
      // The error's message names the first partition; every one is worth a line of its own.
      if (err instanceof LogBehindStoreError)
        for (const gap of err.gaps)
          options.logger?.warn({ consumer: options.consumer, ...gap }, describeGap(gap));
      throw err;
    }
  };
  await checkPositions(options.topics);

  const targets = new Map<string, number>();
  if (options.until === 'caught-up') {
    for (const topic of options.topics) {
      for (const [partition, end] of await options.log.endOffsets(topic))
        targets.set(slotOf(topic, partition), end);
    }
  }
  const caughtUp = () =>
    options.until === 'caught-up' && [...targets].every(([slot, end]) => (positions.get(slot) ?? 0) >= end);

  const finish = async (): Promise<ProcessStats> => {
    stats.lagAtEnd = await lagOf(options, positions);
    stats.durationMs = Date.now() - started;
    options.logger?.info({ consumer: options.consumer, ...stats }, 'processor finished');
    return snapshot(stats);
  };
  if (caughtUp() || options.signal?.aborted) return finish();

  const worker = new ChunkWorker(options, apiOf, positions, stats, staging);
  let stopping = false;
  let settle: (err?: unknown) => void = () => {};
  const onAbort = () => {
    stopping = true;
    settle();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const peers =
    options.until === 'caught-up'
      ? watchPeers(options, positions, caughtUp, (err) => settle(err))
      : undefined;

  /** One subscription, until caught up, aborted, or failed. */
  const consume = async (): Promise<void> => {
    let ended = false;
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    let subscription: Subscription | undefined;
    try {
      subscription = await options.log.subscribe({
        group: options.consumer,
        topics: options.topics,
        fromBeginning: true,
        concurrency: options.concurrency ?? 1,
        onBatch: async (records) => {
          for (let start = 0; start < records.length; start += options.batchSize) {
            if (stopping || ended) throw new Stopping();
            await worker.process(records.slice(start, start + options.batchSize));
            options.onProgress?.(snapshot(stats));
          }
          if (caughtUp()) settle();
        },
        onError: (err) => {
          if (!(err instanceof Stopping)) settle(err);
        },
        onAssigned: checkPositions,
      });
      await done;
    } finally {
      ended = true;
      // A consumer whose broker is gone may not leave cleanly; the next subscription rejoins anyway.
      await subscription?.stop().catch(() => {});
    }
  };

  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await consume();
        break;
      } catch (err) {
        // `process --follow` is a service: an outage of a dependency is waited out, for as long as
        // it lasts, and consumption resumes from the positions the database holds.
        if (options.until !== 'stopped' || stopping || !isOutage(err)) throw err;
        const delayMs = outageDelay(attempt, 500, RESUME_MAX_DELAY_MS);
        options.logger?.warn(
          {
            consumer: options.consumer,
            attempt,
            delayMs,
            err: err instanceof Error ? err.message : String(err),
          },
          'processor lost a dependency; resuming',
        );
        await pause(delayMs, options.signal);
        if (stopping) break;
        for (const [slot, next] of await readConsumerOffsets(options.pool, options.consumer, options.topics))
          positions.set(slot, next);
      }
    }
  } finally {
    stopping = true;
    if (peers) clearInterval(peers);
    options.signal?.removeEventListener('abort', onAbort);
  }
  return finish();
}

/** A dependency that came back is noticed within this long by a following processor. */
const RESUME_MAX_DELAY_MS = 5_000;

/**
 * A dependency gone for now rather than a refusal: Kafka (typed by its adapter), the registry not
 * answering, or the database connection lost. Records are never dead-lettered for these.
 */
function isOutage(err: unknown): boolean {
  return (
    err instanceof DependencyUnavailableError ||
    (err instanceof SchemaRegistryError && err.details.status === undefined) ||
    isConnectionLoss(err)
  );
}

/** How often a caught-up run reads the offsets the other members of its group stored. */
const PEER_POLL_MS = 500;

/**
 * Members of one group split the partitions, and a member only sees its own batches: it could not
 * tell that the partitions it never got are done, and a member left without partitions gets no
 * batch at all. The database holds every member's offsets, so a caught-up run reads them now and
 * then and ends once the group as a whole has stored every target. Positions only move up: a
 * member's own commits and the stored offsets are both committed truth.
 */
function watchPeers(
  options: ProcessorOptions,
  positions: Map<string, number>,
  caughtUp: () => boolean,
  settle: (err?: unknown) => void,
): NodeJS.Timeout {
  let reading = false;
  return setInterval(() => {
    if (reading) return;
    reading = true;
    readConsumerOffsets(options.pool, options.consumer, options.topics)
      .then(
        (stored) => {
          for (const [slot, next] of stored) positions.set(slot, Math.max(positions.get(slot) ?? 0, next));
          if (caughtUp()) settle();
        },
        (err) => {
          // A database away for a moment is the batches' to wait out; this look is only repeated.
          if (!isConnectionLoss(err)) settle(err);
        },
      )
      .finally(() => {
        reading = false;
      });
  }, PEER_POLL_MS);
}

function topicApis(topics: readonly string[], prefix: string): Map<string, string> {
  const apis = new Map<string, string>();
  const issues: { path: string; message: string }[] = [];
  const raw = `${prefix}tushare.raw.`;
  for (const topic of topics) {
    const api = topic.startsWith(raw) ? topic.slice(raw.length) : '';
    if (!canNormalize(api) || `${prefix}${rawTopic(api)}` !== topic) {
      issues.push({ path: topic, message: 'not a raw topic of an endpoint with a normalizer' });
    } else apis.set(topic, api);
  }
  if (topics.length === 0) issues.push({ path: 'topics', message: 'no topic to process' });
  if (issues.length > 0) throw new ValidationError('processor topics', issues);
  return apis;
}

/**
 * The log group must never be ahead of the database: it would skip records the database never
 * stored. That happens only if the database was reset or restored under a live group; refuse then.
 */
async function refuseIfLogAhead(options: ProcessorOptions, positions: Map<string, number>): Promise<void> {
  for (const topic of options.topics) {
    for (const [partition, committed] of await options.log.committedOffsets(options.consumer, topic)) {
      const stored = positions.get(slotOf(topic, partition)) ?? 0;
      if (committed > stored) {
        throw new EventLogError(
          `log group ${options.consumer} is at ${committed} on ${topic}/${partition} but the database holds ` +
            `only up to ${stored}; the records between would be skipped. Start under another processor name ` +
            '(XASSET_PROCESSOR_NAME or --processor-name) or reset the group.',
          { consumer: options.consumer, topic, partition, committed, stored },
        );
      }
    }
  }
}

async function lagOf(options: ProcessorOptions, positions: Map<string, number>): Promise<number> {
  let lag = 0;
  for (const topic of options.topics) {
    for (const [partition, end] of await options.log.endOffsets(topic)) {
      lag += Math.max(0, end - (positions.get(slotOf(topic, partition)) ?? 0));
    }
  }
  return lag;
}

function snapshot(stats: ProcessStats): ProcessStats {
  return {
    ...stats,
    rowsWritten: { ...stats.rowsWritten },
    deadLettered: {
      total: stats.deadLettered.total,
      byStage: { ...stats.deadLettered.byStage },
      byCode: { ...stats.deadLettered.byCode },
    },
  };
}

interface Poison {
  record: LogRecord;
  stage: Stage;
  error: XassetError;
}

/** One batch of records from the log through decode, normalize, publish and sink. */
class ChunkWorker {
  /** Tables whose statistics this run has made sure of (see analyzeIfNeverAnalyzed). */
  readonly #analyzed = new Set<TableName>();

  constructor(
    private readonly options: ProcessorOptions,
    private readonly apiOf: ReadonlyMap<string, string>,
    private readonly positions: Map<string, number>,
    private readonly stats: ProcessStats,
    private readonly staging: Staging,
  ) {}

  get #prefix(): string {
    return this.options.topicPrefix ?? '';
  }

  async process(records: readonly LogRecord[]): Promise<void> {
    const deadLettersSent = new Set<string>();
    const published = new Set<string>();
    let conflicts = 0;
    let losses = 0;
    let lostSince: number | undefined;
    for (;;) {
      try {
        // After a failed try the database is the truth: a lost COMMIT may have landed after all,
        // and another writer may have moved on; records below the stored offsets are skipped.
        if (conflicts + losses > 0) await this.#refreshPositions();
        await this.#attempt(records, deadLettersSent, published);
        return;
      } catch (err) {
        if (isConnectionLoss(err)) {
          losses += 1;
          lostSince ??= Date.now();
          const patience = this.options.outagePatienceMs ?? 0;
          if (Date.now() - lostSince >= patience) {
            throw new DependencyUnavailableError(
              'PostgreSQL',
              'XASSET_DATABASE_URL',
              `connection lost and not back within ${patience} ms: ${err instanceof Error ? err.message : String(err)}`,
              { cause: err },
            );
          }
          const delayMs = outageDelay(losses, 250, 5_000);
          this.options.logger?.warn(
            { consumer: this.options.consumer, attempt: losses, delayMs, reason: (err as Error).message },
            'database connection lost; batch redone',
          );
          await pause(delayMs, this.options.signal);
          if (this.options.signal?.aborted) throw err;
          continue;
        }
        const retryable = err instanceof OffsetMovedError || err instanceof PredictionMismatch;
        if (!retryable) throw err;
        conflicts += 1;
        if (conflicts >= ATTEMPTS) {
          throw new EventLogError(
            `consumer ${this.options.consumer}: another writer kept changing the same offsets or rows; is a second processor running under this name?`,
            { consumer: this.options.consumer, attempts: conflicts },
            { cause: err },
          );
        }
        this.options.logger?.warn(
          { consumer: this.options.consumer, attempt: conflicts, reason: err.message },
          'batch retried',
        );
      }
    }
  }

  async #refreshPositions(): Promise<void> {
    const fresh = await readConsumerOffsets(this.options.pool, this.options.consumer, this.options.topics);
    for (const [slot, next] of fresh) this.positions.set(slot, next);
  }

  async #attempt(
    records: readonly LogRecord[],
    deadLettersSent: Set<string>,
    published: Set<string>,
  ): Promise<void> {
    const started = performance.now();
    const expected = new Map<string, number | null>();
    const nextOffsets = new Map<string, OffsetCommit>();
    const fresh: LogRecord[] = [];
    let skipped = 0;
    for (const record of records) {
      const slot = slotOf(record.topic, record.partition);
      if (!expected.has(slot)) expected.set(slot, this.positions.get(slot) ?? null);
      if (record.offset < (expected.get(slot) ?? 0)) {
        skipped += 1;
        continue;
      }
      fresh.push(record);
      const commit = nextOffsets.get(slot);
      const next = record.offset + 1;
      if (!commit || next > commit.next) {
        nextOffsets.set(slot, {
          topic: record.topic,
          partition: record.partition,
          expected: expected.get(slot) ?? null,
          next,
        });
      }
    }
    if (fresh.length === 0) {
      this.stats.skipped += skipped;
      return;
    }

    const normalized: SourcedRows[] = [];
    const poison: Poison[] = [];
    for (const record of fresh) {
      const outcome = this.#normalize(record) ?? (await this.#normalizeLater(record));
      if ('rows' in outcome) normalized.push(outcome);
      else poison.push(outcome);
    }
    const plan = planBatch(normalized);
    const predicted = new Map<TableName, Map<string, Change>>();
    for (const table of PUBLISHED_TABLES) {
      const rows = plan.byTable.get(table) ?? [];
      if (rows.length > 0) predicted.set(table, await predictChanges(this.options.pool, table, rows));
    }

    await this.#appendDeadLetters(poison, deadLettersSent);
    // Kafka acknowledges the normalized rows while PostgreSQL writes the batch; the commit still
    // waits for them. The embedded log appends through the store itself, possibly its only
    // connection, which the transaction would hold: there the rows go first, as before.
    const publishing = this.#publish(plan, predicted, published);
    const overlap = this.options.log.kind === 'kafka';
    // Settled either way before #attempt returns, so a retry never runs beside this append.
    const settled = publishing.then(
      () => undefined,
      () => undefined,
    );
    let publishedNow = overlap ? 0 : await publishing;

    let result: SinkResult;
    try {
      result = await withTransaction(this.options.pool, async (client) => {
        const sunk = await sinkBatch(client, plan, {
          consumer: this.options.consumer,
          commits: [...nextOffsets.values()],
          staging: this.staging,
        });
        verifyPrediction(predicted, sunk);
        await recordRevisions(client, revisionsByDay(plan, sunk.changed, predicted, this.apiOf));
        if (overlap) publishedNow = await publishing;
        return sunk;
      });
    } finally {
      await settled;
    }

    for (const commit of nextOffsets.values())
      this.positions.set(slotOf(commit.topic, commit.partition), commit.next);
    await this.#ensureStatistics(result);
    this.#count(fresh.length, skipped, poison, plan, result, publishedNow, predicted, started);
    this.options.logger?.debug(
      { consumer: this.options.consumer, records: fresh.length, deadLetters: poison.length },
      'batch committed',
    );
  }

  /** Once per run and predicted table, after its first rows are committed. */
  async #ensureStatistics(result: SinkResult): Promise<void> {
    for (const table of PUBLISHED_TABLES) {
      if (this.#analyzed.has(table) || (result.written.get(table) ?? 0) === 0) continue;
      this.#analyzed.add(table);
      if (await analyzeIfNeverAnalyzed(this.options.pool, table))
        this.options.logger?.info(
          { consumer: this.options.consumer, table },
          'table had no statistics; analyzed',
        );
    }
  }

  /** Decodes and normalizes at once; undefined when the codec must first fetch a writer schema. */
  #normalize(record: LogRecord): SourcedRows | Poison | undefined {
    let raw: unknown;
    try {
      raw = this.options.codec.decodeNow?.(record.topic, record.value);
    } catch (err) {
      if (err instanceof DecodeError) return { record, stage: 'decode', error: err };
      throw err;
    }
    return raw === undefined ? undefined : this.#normalized(record, raw);
  }

  async #normalizeLater(record: LogRecord): Promise<SourcedRows | Poison> {
    let raw: unknown;
    try {
      raw = await this.options.codec.decode(record.topic, record.value);
    } catch (err) {
      if (err instanceof DecodeError) return { record, stage: 'decode', error: err };
      throw err;
    }
    return this.#normalized(record, raw);
  }

  #normalized(record: LogRecord, raw: unknown): SourcedRows | Poison {
    const result = normalize(this.apiOf.get(record.topic) ?? '', raw);
    if (!result.ok) return { record, stage: 'normalize', error: result.error };
    return {
      source: { topic: record.topic, partition: record.partition, offset: record.offset },
      rows: result.rows,
    };
  }

  async #appendDeadLetters(poison: readonly Poison[], sent: Set<string>): Promise<void> {
    const outgoing: OutgoingRecord[] = [];
    for (const { record, stage, error } of poison) {
      const id = `${record.topic}\u0000${record.partition}\u0000${record.offset}`;
      if (sent.has(id)) continue;
      sent.add(id);
      const letter: DeadLetter = {
        sourceTopic: record.topic,
        sourcePartition: record.partition,
        sourceOffset: record.offset,
        key: record.key,
        payloadBase64: record.value.toString('base64'),
        stage,
        errorCode: error.code,
        reason: error.message,
        failedAt: Date.now(),
      };
      outgoing.push({
        key: record.key,
        value: await this.options.codec.encode(this.#prefix + DLQ_TOPIC, letter),
      });
    }
    if (outgoing.length > 0) await this.options.log.append(this.#prefix + DLQ_TOPIC, outgoing);
  }

  /** Appends the rows the upsert is about to insert, revise or finalize, grouped per normalized topic. */
  async #publish(
    plan: BatchPlan,
    predicted: ReadonlyMap<TableName, ReadonlyMap<string, Change>>,
    published: Set<string>,
  ): Promise<number> {
    const byTopic = new Map<string, { outgoing: OutgoingRecord[]; ids: string[] }>();
    let count = 0;
    for (const [table, changes] of predicted) {
      for (const row of plan.byTable.get(table) ?? []) {
        const change = changes.get(row.key);
        if (change === undefined) continue;
        const message = normalizedMessage(row, change === 'revision');
        const id = `${table}\u0000${row.key}\u0000${message.content_hash}`;
        if (published.has(id)) continue;
        const { topic, key } = publication(table, row);
        const to = this.#prefix + topic;
        let entry = byTopic.get(to);
        if (!entry) {
          entry = { outgoing: [], ids: [] };
          byTopic.set(to, entry);
        }
        const value =
          this.options.codec.encodeNow?.(to, message) ?? (await this.options.codec.encode(to, message));
        entry.outgoing.push({ key, value });
        entry.ids.push(id);
        count += 1;
      }
    }
    // A row counts as sent once the log acknowledged it: a retry after a failed append sends it again.
    for (const [topic, { outgoing, ids }] of byTopic) {
      await this.options.log.append(topic, outgoing);
      for (const id of ids) published.add(id);
    }
    return count;
  }

  #count(
    records: number,
    skipped: number,
    poison: readonly Poison[],
    plan: BatchPlan,
    result: SinkResult,
    published: number,
    predicted: ReadonlyMap<TableName, ReadonlyMap<string, Change>>,
    started: number,
  ): void {
    const { stats } = this;
    let inserted = 0;
    let revised = 0;
    let duplicates = plan.superseded;
    for (const counts of result.counts.values()) {
      inserted += counts.inserted;
      revised += counts.revised;
      duplicates += counts.duplicates;
    }
    // A provisional row made final is written like a revision but is none.
    let finalized = 0;
    for (const changes of predicted.values())
      for (const c of changes.values()) if (c === 'finalize') finalized++;
    revised -= finalized;
    stats.finalized += finalized;
    stats.records += records;
    stats.skipped += skipped;
    stats.batches += 1;
    stats.published += published;
    stats.inserted += inserted;
    stats.revisions += revised;
    stats.duplicates += duplicates;
    for (const [table, written] of result.written) {
      stats.rowsWritten[table] = (stats.rowsWritten[table] ?? 0) + written;
    }
    for (const { stage, error } of poison) {
      stats.deadLettered.total += 1;
      stats.deadLettered.byStage[stage] = (stats.deadLettered.byStage[stage] ?? 0) + 1;
      stats.deadLettered.byCode[error.code] = (stats.deadLettered.byCode[error.code] ?? 0) + 1;
    }
    pipelineMetrics.processorBatch({
      seconds: (performance.now() - started) / 1000,
      records,
      inserted,
      revised,
      duplicates,
      deadLetters: poison.map(({ stage, error }) => ({ stage, code: error.code })),
    });
  }
}

/** Tables whose changed rows are published to a normalized topic. */
const PUBLISHED_TABLES: readonly TableName[] = ['market_bar', 'minute_bar', 'realtime_quote'];

function verifyPrediction(
  predicted: ReadonlyMap<TableName, ReadonlyMap<string, Change>>,
  result: SinkResult,
): void {
  for (const table of PUBLISHED_TABLES) {
    const expected = predicted.get(table) ?? new Map<string, Change>();
    const actual = result.changed.get(table) ?? new Map<string, boolean>();
    if (actual.size !== expected.size) {
      throw new PredictionMismatch(`${table} changed ${actual.size} rows, ${expected.size} predicted`);
    }
    for (const [key, inserted] of actual) {
      const change = expected.get(key);
      if (change === undefined || (change === 'insert') !== inserted) {
        throw new PredictionMismatch(`${table} row ${key} changed unlike predicted`);
      }
    }
  }
}

/** The normalized topic and record key of a published row. */
function publication(table: TableName, row: PlannedRow): { topic: string; key: string } {
  const v = row.values;
  const asset = String(v.asset_class);
  if (table === 'market_bar' && isMarketAsset(asset)) {
    return { topic: marketTopic(asset), key: marketKey(asset, String(v.ts_code), String(v.trade_date)) };
  }
  if (table === 'minute_bar' && isMinuteAsset(asset)) {
    return { topic: minuteTopic(asset), key: `${asset}|${v.ts_code}|${v.freq}|${v.trade_time}` };
  }
  if (table === 'realtime_quote' && isRealtimeAsset(asset)) {
    return { topic: realtimeTopic(asset), key: `${asset}|${v.ts_code}|${v.trade_time}` };
  }
  throw new Error(`no normalized topic for ${table} rows of ${asset}`);
}

/** The normalized topic record of a row and its extension columns, as the topic's schema reads. */
function normalizedMessage(row: PlannedRow, revision: boolean): Record<string, unknown> {
  // Written last-wins in reverse precedence (the row, then extensions in order, win where names
  // meet); one object and no spreads, as this runs once per published row.
  const message: Record<string, unknown> = {};
  for (let i = row.dependents.length - 1; i >= 0; i--) Object.assign(message, row.dependents[i]?.values);
  Object.assign(message, row.values);
  const hash = row.values.content_hash;
  message.content_hash = Buffer.isBuffer(hash) ? hash.toString('hex') : '';
  message.revision = revision;
  message.source_topic = row.source.topic;
  message.source_partition = row.source.partition;
  message.source_offset = row.source.offset;
  return message;
}

import { randomUUID } from 'node:crypto';
import {
  type Admin,
  type Consumer,
  type IHeaders,
  Kafka,
  type KafkaMessage,
  logLevel,
  Partitioners,
  type Producer,
} from 'kafkajs';
import {
  AppendConflictError,
  DependencyUnavailableError,
  EventLogError,
  XassetError,
} from '../../contracts/errors.js';
import { outlast } from '../outage.js';
import { type AppendLock, InProcessLock } from './append-lock.js';
import type {
  Appended,
  AppendOptions,
  EventLog,
  LogRecord,
  OutgoingRecord,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from './event-log.js';
import { createPartitioner } from './partitioner.js';

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  /** Where kafkajs's own log lines go (the app's logger); kafkajs prints JSON to stdout otherwise. */
  log?: (level: KafkaLogLevel, message: string, fields: Record<string, unknown>) => void;
  /**
   * What makes a conditional append exact (see append): a lock every writer of these topics shares
   * (the store's advisory lock in the product; one process's own lock when absent), and the topics
   * (as named on the broker) whose every append takes it, conditional or not, so no record lands
   * between a writer's check of the end and its send.
   */
  appendLock?: { lock: AppendLock; topics: readonly string[] };
  /**
   * How long an append waits out a broker that stopped answering (a restart), past kafkajs's own
   * retries; 0 (the default) fails as soon as those are spent.
   */
  outagePatienceMs?: number;
}

const KAFKAJS_LEVELS: Record<number, KafkaLogLevel> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Consumer heartbeat interval; the session (10 s) survives several missed beats. */
const HEARTBEAT_MS = 1_000;

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? String(value[0]) : value.toString();
  }
  return out;
}

function toRecord(topic: string, partition: number, message: KafkaMessage): LogRecord {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key ? message.key.toString() : null,
    value: message.value ?? Buffer.alloc(0),
    headers: headersOf(message.headers),
    timestamp: Number(message.timestamp),
  };
}

/**
 * The production event log on Apache Kafka through kafkajs.
 *
 * The producer is idempotent with one request in flight, so a retried send can neither duplicate
 * nor reorder records, and every send waits for acks from all in-sync replicas. We choose the
 * partition ourselves (same murmur2 as the Java client) so that we know which records share a
 * partition and can give each its offset: base offset of the partition's batch + its position.
 */
export class KafkaEventLog implements EventLog {
  readonly kind = 'kafka' as const;
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  readonly #producer: Producer;
  readonly #partitionFor = createPartitioner();
  readonly #partitions = new Map<string, number>();
  readonly #consumers = new Set<Consumer>();
  readonly #lock: AppendLock;
  readonly #lockedTopics: ReadonlySet<string>;
  #adminReady: Promise<void> | undefined;
  #producerReady: Promise<void> | undefined;
  readonly #outagePatienceMs: number;
  readonly #warn: (message: string, fields: Record<string, unknown>) => void;

  constructor(options: KafkaEventLogOptions) {
    this.#outagePatienceMs = options.outagePatienceMs ?? 0;
    this.#warn = (message, fields) => options.log?.('warn', message, fields);
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      ...(options.log
        ? {
            logCreator:
              () =>
              ({ namespace, level, log }: { namespace: string; level: number; log: { message: string } }) => {
                const { message, ...fields } = log;
                options.log?.(KAFKAJS_LEVELS[level] ?? 'info', message, { namespace, ...fields });
              },
          }
        : {}),
      retry: { retries: 8, initialRetryTime: 200 },
    });
    this.#admin = this.#kafka.admin();
    this.#lock = options.appendLock?.lock ?? new InProcessLock();
    this.#lockedTopics = new Set(options.appendLock?.topics ?? []);
    // kafkajs warns that bounded retries weaken idempotence: after a give-up, a re-send may
    // duplicate a record the broker did keep. We accept that: every raw record carries its natural
    // key, and the processors count such a record as a duplicate instead of writing it twice.
    this.#producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Every message names its partition (see append), so this only states the Java-compatible
      // choice explicitly and silences kafkajs's notice about its changed default.
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
  }

  /** Admin first; the producer only when something is appended (a health check never needs it). */
  #connect(): Promise<void> {
    // A failed connect is forgotten, so the next call tries again instead of failing forever.
    this.#adminReady ??= this.#admin.connect().catch((err: unknown) => {
      this.#adminReady = undefined;
      throw err;
    });
    return this.#adminReady;
  }

  #connectProducer(): Promise<void> {
    this.#producerReady ??= this.#producer.connect().catch((err: unknown) => {
      this.#producerReady = undefined;
      throw err;
    });
    return this.#producerReady;
  }

  listTopics(): Promise<string[]> {
    return guard('list topics', {}, async () => {
      await this.#connect();
      return (await this.#admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
    });
  }

  ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    return guard('create topics', {}, () => this.#ensureTopics(specs));
  }

  async #ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    await this.#connect();
    const existing = new Set(await this.#admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.name));
    if (missing.length === 0) return;
    await this.#admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.name,
        numPartitions: spec.partitions,
        configEntries: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    // A broker can answer NOT_LEADER for a moment after `waitForLeaders` returned, while its own
    // metadata catches up; a topic is ready once its offsets can be listed.
    for (const spec of missing) await this.endOffsets(spec.name);
  }

  /**
   * Kafka has no compare-and-append, and a transactional producer would not do: its commit markers
   * take offsets of their own, and the control log's readers rely on gapless offsets. So a
   * conditional append reads the partition's end and sends while holding the append lock; every
   * append to a locked topic takes the same lock, so nothing can land between the two.
   *
   * A broker restart outlasts kafkajs's retries; an unconditional append is then tried again, with
   * backoff, for the outage patience (the lock released between tries). A batch the broker kept
   * before the connection dropped may so be written twice: raw records carry their natural key and
   * the processor counts the copy as a duplicate. A conditional append is a decision on the state
   * it saw: after an outage that decision is the caller's to take again.
   */
  append(
    topic: string,
    records: readonly OutgoingRecord[],
    options: AppendOptions = {},
  ): Promise<Appended[]> {
    return guard('append', { topic }, () => {
      const condition = options.ifEndIs;
      if (records.length === 0) return Promise.resolve([]);
      const once = () => {
        if (!condition && !this.#lockedTopics.has(topic)) return this.#append(topic, records);
        return this.#lock.holding(`append:${topic}`, async () => {
          if (condition) await this.#checkEnd(topic, condition.partition, condition.nextOffset);
          return this.#append(topic, records, condition?.partition);
        });
      };
      if (condition) return once();
      return outlast(once, {
        patienceMs: this.#outagePatienceMs,
        isOutage: isBrokerOutage,
        onRetry: ({ attempt, delayMs, err }) =>
          this.#warn('Kafka unavailable: append retried', {
            topic,
            attempt,
            delayMs,
            err: err instanceof Error ? err.message : String(err),
          }),
      });
    });
  }

  async #checkEnd(topic: string, partition: number, expected: number): Promise<void> {
    const end = (await this.endOffsets(topic)).get(partition) ?? 0;
    if (end !== expected) throw new AppendConflictError(topic, partition, expected, end);
  }

  async #append(topic: string, records: readonly OutgoingRecord[], onlyTo?: number): Promise<Appended[]> {
    if (records.length === 0) return [];
    await Promise.all([this.#connect(), this.#connectProducer()]);
    const partitions = await this.#partitionCount(topic);
    const placed = records.map((record) => ({
      partition: this.#partitionFor(topic, partitions, record.key),
      offset: -1,
    }));
    if (onlyTo !== undefined && placed.some((p) => p.partition !== onlyTo)) {
      throw new EventLogError(`a conditional append to ${topic} must stay on partition ${onlyTo}`, { topic });
    }
    const results = await this.#producer.send({
      topic,
      acks: -1,
      messages: records.map((record, i) => ({
        key: record.key,
        value: record.value,
        headers: record.headers,
        partition: placed[i]?.partition,
      })),
    });
    const base = new Map(results.map((r) => [r.partition, Number(r.baseOffset)]));
    const seen = new Map<number, number>();
    for (const slot of placed) {
      const start = base.get(slot.partition);
      if (start === undefined) {
        throw new EventLogError(`broker did not acknowledge partition ${slot.partition} of ${topic}`, {
          topic,
        });
      }
      const index = seen.get(slot.partition) ?? 0;
      slot.offset = start + index;
      seen.set(slot.partition, index + 1);
    }
    return placed;
  }

  /**
   * kafkajs has no assign(): reading a partition from an offset takes a throwaway group that seeks
   * and never commits. It costs a group join, which is fine for replay and rebuilds.
   */
  read(topic: string, partition: number, fromOffset: number, max = 10_000): Promise<LogRecord[]> {
    return guard('read', { topic, partition }, () => this.#read(topic, partition, fromOffset, max));
  }

  async #read(topic: string, partition: number, fromOffset: number, max: number): Promise<LogRecord[]> {
    const end = (await this.endOffsets(topic)).get(partition) ?? 0;
    const until = Math.min(end, fromOffset + max);
    if (fromOffset >= until) return [];
    const groupId = `xasset-reader-${randomUUID()}`;
    const consumer = this.#kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
    const byOffset = new Map<number, LogRecord>();
    const wanted = until - fromOffset;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new EventLogError(`timed out reading ${topic}/${partition} from ${fromOffset}`, { topic }),
            ),
          30_000,
        );
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        // Seek on every join, not once after run(): run() also resolves when joining crashed (a
        // coordinator still loading right after a broker start), and kafkajs then restarts the
        // consumer with no group for a while, where a seek throws "Consumer group was not
        // initialized"; a rejoin also starts again from the group's (absent) commits.
        consumer.on(consumer.events.GROUP_JOIN, () => {
          try {
            consumer.seek({ topic, partition, offset: String(fromOffset) });
          } catch (err) {
            reject(err);
          }
        });
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              if (batch.partition !== partition) return;
              for (const message of batch.messages) {
                const offset = Number(message.offset);
                // A batch fetched before the seek took effect may repeat offsets: keep each once.
                if (offset >= fromOffset && offset < until)
                  byOffset.set(offset, toRecord(topic, partition, message));
              }
              if (byOffset.size >= wanted) done();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      await this.#admin.deleteGroups([groupId]).catch(() => {});
    }
    return [...byOffset.values()].sort((a, b) => a.offset - b.offset);
  }

  #adminQueue: Promise<unknown> = Promise.resolve();

  /**
   * Offset queries on one kafkajs admin client are run one at a time: two `fetchTopicOffsets` in
   * flight together can mix their answers inside kafkajs 2.2.4 and fail with a TypeError (seen
   * when a status API, the evaluator and a processor share one log).
   */
  #oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#adminQueue.then(work, work);
    this.#adminQueue = run.catch(() => {});
    return run;
  }

  async endOffsets(topic: string): Promise<Map<number, number>> {
    return new Map((await this.#topicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  }

  async startOffsets(topic: string): Promise<Map<number, number>> {
    return new Map((await this.#topicOffsets(topic)).map((o) => [o.partition, Number(o.low)]));
  }

  #topicOffsets(topic: string) {
    return guard('list offsets', { topic }, async () => {
      await this.#connect();
      return retryRetriable(() => this.#oneAtATime(() => this.#admin.fetchTopicOffsets(topic)));
    });
  }

  async setCommittedOffsets(
    group: string,
    topic: string,
    offsets: ReadonlyMap<number, number>,
  ): Promise<void> {
    if (offsets.size === 0) return;
    await guard('set group offsets', { group, topic }, async () => {
      await this.#connect();
      await this.#admin.setOffsets({
        groupId: group,
        topic,
        partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) })),
      });
    });
  }

  async committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
    const [entry] = await guard('fetch group offsets', { group, topic }, async () => {
      await this.#connect();
      return this.#oneAtATime(() => this.#admin.fetchOffsets({ groupId: group, topics: [topic] }));
    });
    const out = new Map<number, number>();
    for (const p of entry?.partitions ?? []) {
      const offset = Number(p.offset);
      if (offset >= 0) out.set(p.partition, offset);
    }
    return out;
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return guard('subscribe', { group: options.group }, () => this.#subscribe(options));
  }

  async #subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (!options.fromBeginning) await this.#pinNewGroupToEnd(options.group, options.topics);
    const consumer = this.#kafka.consumer({
      groupId: options.group,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
      // A member killed without leaving holds its partitions until its session times out: 10 s
      // (kafkajs defaults to 30 s) lets a restarted processor resume sooner after a crash.
      sessionTimeout: 10_000,
      heartbeatInterval: HEARTBEAT_MS,
      // kafkajs's 1 MB per partition cuts a processor's transactions at ~2,500 raw records, well
      // under its batch size; bigger fetches let one transaction carry a whole batch.
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      // kafkajs restarts a crashed consumer forever by default, so a lost broker would leave the
      // caller waiting with no word; its own retries (about a minute) are patience enough. (A member
      // the group dropped never gets here: see the commit below. kafkajs asks this only of
      // retriable errors, and a broker going down can answer a lost membership on its way out, so
      // restarting on that would wait on a dead broker forever.)
      retry: { retries: 8, initialRetryTime: 200, restartOnFailure: async () => false },
    });
    this.#consumers.add(consumer);
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      options.onError?.(err);
      setImmediate(() => void consumer.stop().catch(() => {}));
    };
    // A consumer kafkajs will not restart has stopped for good: say so (typed: a lost broker is a
    // dependency that does not answer), or a caller waiting for the end of the log would wait forever.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      fail(asLogError(payload.error, `consume (group ${options.group})`, { group: options.group }));
    });
    // Batches of a new assignment wait until the caller has looked at it (see onAssigned).
    let assigned: Promise<void> = Promise.resolve();
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const assignment = new Map(Object.entries(payload.memberAssignment));
        assigned = options.onAssigned ? options.onAssigned(assignment) : Promise.resolve();
        assigned.catch(fail);
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.concurrency ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (failed || !isRunning() || isStale() || batch.messages.length === 0) return;
        const records = batch.messages.map((m) => toRecord(batch.topic, batch.partition, m));
        // kafkajs heartbeats only between batches; a handler slower than the session (a big batch
        // on a loaded machine, several partitions in flight) would cost the member its partitions.
        // A failed beat (a rebalance began) is left to the commit below, which then fails too.
        const beating = setInterval(() => void heartbeat().catch(() => {}), HEARTBEAT_MS);
        try {
          await assigned;
          if (failed) return;
          await options.onBatch(records);
        } catch (err) {
          // Stop without committing: the batch will be read again by the next member of the group.
          fail(err);
          return;
        } finally {
          clearInterval(beating);
        }
        const last = batch.messages[batch.messages.length - 1] as KafkaMessage;
        resolveOffset(last.offset);
        try {
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: String(Number(last.offset) + 1) },
          ]);
          await heartbeat();
        } catch (err) {
          // The handler has stored the batch with its offsets; the group's commit only spares the
          // next member a re-read, which it skips by those offsets. A member the group dropped while
          // it worked rejoins instead of failing.
          if (!isMembershipLoss(err)) throw err;
        }
      },
    });
    await joined;
    return {
      stop: async () => {
        this.#consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  /**
   * Kafka resolves `latest` for a new group at its first fetch, which may come after records
   * appended once subscribe() returned: those would be skipped. Committing the current end for the
   * group before it joins makes "from the end" mean the end at subscribe time, as in the embedded log.
   */
  async #pinNewGroupToEnd(group: string, topics: readonly string[]): Promise<void> {
    await this.#connect();
    for (const topic of topics) {
      const committed = await this.committedOffsets(group, topic);
      const ends = await this.endOffsets(topic);
      const partitions = [...ends]
        .filter(([partition]) => !committed.has(partition))
        .map(([partition, offset]) => ({ partition, offset: String(offset) }));
      if (partitions.length > 0) await this.#admin.setOffsets({ groupId: group, topic, partitions });
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#consumers].map((c) => c.disconnect()));
    this.#consumers.clear();
    await Promise.allSettled([
      this.#producerReady && this.#producer.disconnect(),
      this.#adminReady && this.#admin.disconnect(),
    ]);
    this.#producerReady = undefined;
    this.#adminReady = undefined;
  }

  async #partitionCount(topic: string): Promise<number> {
    let count = this.#partitions.get(topic);
    if (count === undefined) {
      const metadata = await this.#admin.fetchTopicMetadata({ topics: [topic] }).catch((err: unknown) => {
        // A broker that is away is not a topic that is missing: the append waits the outage out.
        if (isBrokerOutage(err)) throw err;
        throw new EventLogError(`unknown topic ${topic}; create it first`, { topic }, { cause: err });
      });
      count = metadata.topics[0]?.partitions.length;
      if (!count) throw new EventLogError(`unknown topic ${topic}; create it first`, { topic });
      this.#partitions.set(topic, count);
    }
    return count;
  }
}

/** kafkajs errors that mean the broker is gone or not answering, rather than a refused request. */
const UNAVAILABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);

/** kafkajs wraps the error that ended its retries; the chain tells what happened. */
function errorChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 8; ) {
    chain.push(e);
    const next =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
    if (next === e) break;
    e = next;
  }
  return chain;
}

/**
 * The broker is gone or busy electing leaders (a restart), rather than refusing the request: a
 * connection failure anywhere in the chain, or a protocol error Kafka itself marks retriable.
 */
export function isBrokerOutage(err: unknown): boolean {
  if (err instanceof XassetError && !(err instanceof DependencyUnavailableError)) return false;
  return errorChain(err).some((e) => {
    const { name, type } = e as { name?: string; type?: string };
    return UNAVAILABLE.has(name ?? '') || RESTARTING.has(type ?? '');
  });
}

/**
 * The group went on without this member: its session lapsed (a handler held the event loop longer
 * than the session, as on a machine loaded far past its cores) or a rebalance began. kafkajs drops
 * the protocol error's type when it gives up on one, so its messages are matched too.
 */
export function isMembershipLoss(err: unknown): boolean {
  return errorChain(err).some((e) => {
    const { type, message } = e as { type?: string; message?: string };
    return MEMBERSHIP_TYPES.has(type ?? '') || MEMBERSHIP_MESSAGES.has(message ?? '');
  });
}

const MEMBERSHIP_TYPES = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS']);
/** kafkajs's texts for the three types above (kafkajs/src/protocol/error.js). */
const MEMBERSHIP_MESSAGES = new Set([
  'The coordinator is not aware of this member',
  'Specified group generation id is not valid',
  'The group is rebalancing, so a rejoin is needed',
]);

/** Protocol errors a broker answers while it starts up again and re-elects partition leaders. */
const RESTARTING = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'BROKER_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'NOT_ENOUGH_REPLICAS',
  'REQUEST_TIMED_OUT',
]);

/**
 * Our errors pass through; a kafkajs error becomes a typed one naming what was being done, so no
 * caller meets a raw client error. A consumer's crash never reaches the CLI's own translation of
 * thrown errors (it is an event, not a rejection), hence the translation here, at the adapter.
 */
function asLogError(err: unknown, operation: string, details: Record<string, unknown>): Error {
  if (err instanceof XassetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // A broker that is restarting (a coordinator still loading, leaders not yet elected) is away
  // too: callers that wait out an outage (process --follow) must see it as one.
  if (isBrokerOutage(err))
    return new DependencyUnavailableError('Kafka', 'XASSET_KAFKA_BROKERS', `${operation}: ${message}`, {
      cause: err,
    });
  return new EventLogError(`${operation} failed: ${message}`, details, { cause: err });
}

async function guard<T>(
  operation: string,
  details: Record<string, unknown>,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asLogError(err, operation, details);
  }
}

/**
 * Retries what Kafka itself marks retriable (leader elections, metadata not yet propagated) for up
 * to 30 s: a broker that just started elects leaders for every partition of every topic `migrate`
 * created, which takes well over the first few seconds on a loaded 2-core machine. Anything else,
 * or a condition that lasts, is the caller's to see.
 */
async function retryRetriable<T>(work: () => Promise<T>, attempts = 120, delayMs = 250): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || (err as { retriable?: boolean }).retriable !== true) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

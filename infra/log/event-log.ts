/**
 * The event log port: what producers, processors and projections need from a log, whatever backs
 * it (Kafka in production, a PostgreSQL table in embedded mode). Values are already-encoded bytes;
 * the SchemaCodec owns the format.
 *
 * Offsets are JavaScript numbers: Kafka's are 64-bit, but 2^53 records in one partition is beyond
 * any log this project will keep, and numbers keep every caller simple.
 */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** Kafka topic configs, e.g. `retention.ms: '-1'` for the control topic. */
  configs?: Record<string, string>;
}

export interface OutgoingRecord {
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface LogRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  /** Milliseconds since the epoch, as the log stamped it on append. */
  timestamp: number;
}

export interface Appended {
  partition: number;
  offset: number;
}

/**
 * Optimistic concurrency for a writer that decided what to append on what it read: the append
 * happens only if `partition` still ends at `nextOffset` (nothing was appended since the read), and
 * throws AppendConflictError otherwise, writing nothing. Every record must go to that partition.
 */
export interface AppendCondition {
  partition: number;
  nextOffset: number;
}

export interface AppendOptions {
  ifEndIs?: AppendCondition;
}

export type BatchHandler = (records: readonly LogRecord[]) => Promise<void>;

export interface Subscription {
  /** Stops consuming; offsets of batches whose handler completed are committed. */
  stop(): Promise<void>;
}

export interface SubscribeOptions {
  group: string;
  topics: readonly string[];
  /** Where a group with no committed offset starts. */
  fromBeginning: boolean;
  /** Called with records of one partition, in offset order; offsets commit after it resolves. */
  onBatch: BatchHandler;
  /** Called when the handler throws; consumption stops (the batch is not committed). */
  onError?: (err: unknown) => void;
  /**
   * Partitions whose batches may be in the handler at the same time (1 by default). Each call still
   * sees one partition in offset order; a log may hand out fewer at once (the embedded one does).
   */
  concurrency?: number;
  /**
   * Called each time the group hands this member its partitions (topic → partitions): at start and
   * after every rebalance, before any batch of the new assignment is delivered. A rejection stops
   * consumption through `onError`, like a failed batch.
   */
  onAssigned?: (assignment: ReadonlyMap<string, readonly number[]>) => Promise<void>;
}

export interface EventLog {
  readonly kind: 'kafka' | 'embedded';
  /** Names of the topics that exist. */
  listTopics(): Promise<string[]>;
  /** Creates missing topics with their partitions and configs; existing ones are left alone. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /**
   * Appends records durably (Kafka: acks from all in-sync replicas, idempotent producer) and returns
   * where each landed, in input order. Records with the same key land in the same partition, in order.
   * With `ifEndIs`, a compare-and-append: see AppendCondition.
   */
  append(topic: string, records: readonly OutgoingRecord[], options?: AppendOptions): Promise<Appended[]>;
  /** Reads one partition from `fromOffset` up to its current end, for replay and projections. */
  read(topic: string, partition: number, fromOffset: number, max?: number): Promise<LogRecord[]>;
  /** The next offset to be written, per partition (Kafka's high watermark). */
  endOffsets(topic: string): Promise<Map<number, number>>;
  /**
   * The first offset still held, per partition: Kafka's log start offset, which retention and
   * deletions raise; 0 in the embedded log, which deletes nothing.
   */
  startOffsets(topic: string): Promise<Map<number, number>>;
  /** The next offset a group will read, per partition; absent when the group never committed. */
  committedOffsets(group: string, topic: string): Promise<Map<number, number>>;
  /** Moves a group's committed offsets (the group must have no running member). */
  setCommittedOffsets(group: string, topic: string, offsets: ReadonlyMap<number, number>): Promise<void>;
  /** Consumes as a group; resumes after the last committed offset of the group. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}

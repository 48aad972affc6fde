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

/**
 * Gives one deployment its own namespace on a shared Kafka cluster: every topic and consumer group
 * gets the prefix on the way in and loses it on the way out, so the rest of the code keeps the
 * product's topic names (`xasset.control.v1`, …) and the codec keeps its schemas per logical topic.
 * Staging beside production, or parallel test runs on one broker, cannot read each other's events.
 */
export class PrefixedEventLog implements EventLog {
  readonly #inner: EventLog;
  readonly #prefix: string;

  constructor(inner: EventLog, prefix: string) {
    this.#inner = inner;
    this.#prefix = prefix;
  }

  get kind(): EventLog['kind'] {
    return this.#inner.kind;
  }

  #in = (name: string) => `${this.#prefix}${name}`;
  #out = (record: LogRecord): LogRecord => ({ ...record, topic: record.topic.slice(this.#prefix.length) });

  async listTopics(): Promise<string[]> {
    return (await this.#inner.listTopics())
      .filter((t) => t.startsWith(this.#prefix))
      .map((t) => t.slice(this.#prefix.length));
  }

  ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    return this.#inner.ensureTopics(specs.map((s) => ({ ...s, name: this.#in(s.name) })));
  }

  append(topic: string, records: readonly OutgoingRecord[], options?: AppendOptions): Promise<Appended[]> {
    return this.#inner.append(this.#in(topic), records, options);
  }

  async read(topic: string, partition: number, fromOffset: number, max?: number): Promise<LogRecord[]> {
    return (await this.#inner.read(this.#in(topic), partition, fromOffset, max)).map(this.#out);
  }

  endOffsets(topic: string): Promise<Map<number, number>> {
    return this.#inner.endOffsets(this.#in(topic));
  }

  startOffsets(topic: string): Promise<Map<number, number>> {
    return this.#inner.startOffsets(this.#in(topic));
  }

  setCommittedOffsets(group: string, topic: string, offsets: ReadonlyMap<number, number>): Promise<void> {
    return this.#inner.setCommittedOffsets(this.#in(group), this.#in(topic), offsets);
  }

  committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
    return this.#inner.committedOffsets(this.#in(group), this.#in(topic));
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.#inner.subscribe({
      ...options,
      group: this.#in(options.group),
      topics: options.topics.map(this.#in),
      onBatch: (records) => options.onBatch(records.map(this.#out)),
      onAssigned:
        options.onAssigned &&
        ((assignment) =>
          options.onAssigned?.(
            new Map(
              [...assignment].map(([topic, partitions]) => [topic.slice(this.#prefix.length), partitions]),
            ),
          ) ?? Promise.resolve()),
    });
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

import type { Pool } from 'pg';
import { AppendConflictError, EventLogError } from '../../contracts/errors.js';
import { withTransaction } from '../store/pg.js';
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

interface Row {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  appended_ms: number;
}

const toRecord = (row: Row): LogRecord => ({
  topic: row.topic,
  partition: row.partition,
  offset: Number(row.offset),
  key: row.key,
  value: row.value,
  headers: row.headers,
  timestamp: Number(row.appended_ms),
});

/**
 * The embedded event log: a PostgreSQL table with Kafka's semantics where this project relies on
 * them — per-partition offsets without gaps, key-ordered partitions, committed group offsets.
 *
 * Offsets come from a counter row per partition, bumped with UPDATE … RETURNING inside the append
 * transaction: the row lock makes concurrent appenders to one partition take turns, so offsets are
 * assigned in commit order and a reader never sees offset n+1 before n (a sequence could not
 * promise that). The same row makes a conditional append exact: the bump only matches while the
 * counter still holds the expected offset, and a concurrent appender's committed bump is re-read
 * under the row lock (READ COMMITTED re-checks the WHERE on the new row version).
 *
 * A group here has one member: there is no rebalancing, and two processes subscribing with the
 * same group would both read. The embedded mode runs one process, so that is enough.
 */
export class PgEventLog implements EventLog {
  readonly kind = 'embedded' as const;
  readonly #pool: Pool;
  readonly #partitions = new Map<string, number>();
  readonly #partitionFor = createPartitioner();
  readonly #subscriptions = new Set<Subscription>();
  readonly #pollMs: number;

  constructor(pool: Pool, options: { pollMs?: number } = {}) {
    this.#pool = pool;
    this.#pollMs = options.pollMs ?? 100;
  }

  async listTopics(): Promise<string[]> {
    // Before the first migration there is no topic table: that is "no topics", not a failure.
    const exists = await this.#pool.query<{ t: string | null }>(
      "SELECT to_regclass('event_log_topic')::text AS t",
    );
    if (!exists.rows[0]?.t) return [];
    const { rows } = await this.#pool.query<{ topic: string }>(
      'SELECT topic FROM event_log_topic ORDER BY topic',
    );
    return rows.map((r) => r.topic);
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      await withTransaction(this.#pool, async (client) => {
        await client.query(
          `INSERT INTO event_log_topic (topic, partitions, configs) VALUES ($1, $2, $3)
           ON CONFLICT (topic) DO NOTHING`,
          [spec.name, spec.partitions, JSON.stringify(spec.configs ?? {})],
        );
        await client.query(
          `INSERT INTO event_log_partition (topic, partition)
           SELECT $1, p FROM generate_series(0, (SELECT partitions FROM event_log_topic WHERE topic = $1) - 1) AS p
           ON CONFLICT DO NOTHING`,
          [spec.name],
        );
      });
    }
  }

  async append(
    topic: string,
    records: readonly OutgoingRecord[],
    options: AppendOptions = {},
  ): Promise<Appended[]> {
    if (records.length === 0) return [];
    const condition = options.ifEndIs;
    const partitions = await this.#partitionCount(topic);
    const byPartition = new Map<number, number[]>();
    const placed: Appended[] = records.map((record, index) => {
      const partition = this.#partitionFor(topic, partitions, record.key);
      const list = byPartition.get(partition) ?? [];
      list.push(index);
      byPartition.set(partition, list);
      return { partition, offset: -1 };
    });
    if (condition && [...byPartition.keys()].some((p) => p !== condition.partition)) {
      throw new EventLogError(
        `a conditional append to ${topic} must stay on partition ${condition.partition}`,
        {
          topic,
        },
      );
    }
    await withTransaction(this.#pool, async (client) => {
      // Lock partitions in a fixed order so two multi-partition appends cannot deadlock.
      for (const [partition, indexes] of [...byPartition].sort(([a], [b]) => a - b)) {
        const bumped = await client.query<{ base: string }>(
          `UPDATE event_log_partition SET next_offset = next_offset + $3
           WHERE topic = $1 AND partition = $2 AND ($4::bigint IS NULL OR next_offset = $4)
           RETURNING next_offset - $3 AS base`,
          [topic, partition, indexes.length, condition?.nextOffset ?? null],
        );
        if (condition && bumped.rows.length === 0) {
          // On this transaction's client: a pool of one (PGlite) has no other connection to give.
          const now = await client.query<{ next_offset: string }>(
            'SELECT next_offset FROM event_log_partition WHERE topic = $1 AND partition = $2',
            [topic, partition],
          );
          throw new AppendConflictError(
            topic,
            partition,
            condition.nextOffset,
            Number(now.rows[0]?.next_offset),
          );
        }
        const base = Number(bumped.rows[0]?.base ?? Number.NaN);
        const chosen = indexes.map((i) => records[i] as OutgoingRecord);
        await client.query(
          `INSERT INTO event_log (topic, partition, "offset", key, value, headers)
           SELECT $1, $2, $3::bigint + t.ord - 1, t.k, t.v, t.h::jsonb
           FROM unnest($4::text[], $5::bytea[], $6::text[]) WITH ORDINALITY AS t(k, v, h, ord)`,
          [
            topic,
            partition,
            base,
            chosen.map((r) => r.key),
            chosen.map((r) => r.value),
            chosen.map((r) => JSON.stringify(r.headers ?? {})),
          ],
        );
        indexes.forEach((recordIndex, position) => {
          (placed[recordIndex] as Appended).offset = base + position;
        });
      }
    });
    return placed;
  }

  async read(topic: string, partition: number, fromOffset: number, max = 10_000): Promise<LogRecord[]> {
    const { rows } = await this.#pool.query<Row>(
      `SELECT topic, partition, "offset", key, value, headers,
              (extract(epoch FROM appended_at) * 1000)::bigint AS appended_ms
       FROM event_log WHERE topic = $1 AND partition = $2 AND "offset" >= $3
       ORDER BY "offset" LIMIT $4`,
      [topic, partition, fromOffset, max],
    );
    return rows.map(toRecord);
  }

  async endOffsets(topic: string): Promise<Map<number, number>> {
    const { rows } = await this.#pool.query<{ partition: number; next_offset: string }>(
      'SELECT partition, next_offset FROM event_log_partition WHERE topic = $1 ORDER BY partition',
      [topic],
    );
    if (rows.length === 0) throw new EventLogError(`unknown topic ${topic}`, { topic });
    return new Map(rows.map((r) => [r.partition, Number(r.next_offset)]));
  }

  async startOffsets(topic: string): Promise<Map<number, number>> {
    return new Map([...(await this.endOffsets(topic)).keys()].map((partition) => [partition, 0]));
  }

  async setCommittedOffsets(
    group: string,
    topic: string,
    offsets: ReadonlyMap<number, number>,
  ): Promise<void> {
    await this.#pool.query(
      `INSERT INTO event_log_group_offset (group_id, topic, partition, next_offset, updated_at)
       SELECT $1, $2, p, o, now() FROM unnest($3::int[], $4::bigint[]) AS t(p, o)
       ON CONFLICT (group_id, topic, partition)
       DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
      [group, topic, [...offsets.keys()], [...offsets.values()]],
    );
  }

  async committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
    const { rows } = await this.#pool.query<{ partition: number; next_offset: string }>(
      'SELECT partition, next_offset FROM event_log_group_offset WHERE group_id = $1 AND topic = $2',
      [group, topic],
    );
    return new Map(rows.map((r) => [r.partition, Number(r.next_offset)]));
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const positions = new Map<string, number>();
    const assignment = new Map<string, number[]>();
    for (const topic of options.topics) {
      const [ends, committed] = await Promise.all([
        this.endOffsets(topic),
        this.committedOffsets(options.group, topic),
      ]);
      assignment.set(topic, [...ends.keys()]);
      for (const [partition, end] of ends) {
        positions.set(
          `${topic}\u0000${partition}`,
          committed.get(partition) ?? (options.fromBeginning ? 0 : end),
        );
      }
    }
    // One member holds every partition for the life of the subscription: one assignment, up front.
    let running = true;
    try {
      await options.onAssigned?.(assignment);
    } catch (err) {
      running = false;
      options.onError?.(err);
    }
    const loop = (async () => {
      while (running) {
        try {
          let delivered = 0;
          for (const [slot, position] of positions) {
            if (!running) break;
            const [topic = '', partitionText = '0'] = slot.split('\u0000');
            const partition = Number(partitionText);
            const batch = await this.read(topic, partition, position, 500);
            if (batch.length === 0) continue;
            try {
              await options.onBatch(batch);
            } catch (err) {
              running = false;
              options.onError?.(err);
              break;
            }
            const next = (batch[batch.length - 1] as LogRecord).offset + 1;
            await this.#pool.query(
              `INSERT INTO event_log_group_offset (group_id, topic, partition, next_offset, updated_at)
             VALUES ($1, $2, $3, $4, now())
             ON CONFLICT (group_id, topic, partition)
             DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
              [options.group, topic, partition, next],
            );
            positions.set(slot, next);
            delivered += batch.length;
          }
          if (delivered === 0 && running) await new Promise((r) => setTimeout(r, this.#pollMs));
        } catch (err) {
          running = false;
          options.onError?.(err);
        }
      }
    })();
    const subscription: Subscription = {
      stop: async () => {
        running = false;
        await loop;
        this.#subscriptions.delete(subscription);
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((s) => s.stop()));
  }

  async #partitionCount(topic: string): Promise<number> {
    let count = this.#partitions.get(topic);
    if (count === undefined) {
      const { rows } = await this.#pool.query<{ partitions: number }>(
        'SELECT partitions FROM event_log_topic WHERE topic = $1',
        [topic],
      );
      count = rows[0]?.partitions;
      if (count === undefined) throw new EventLogError(`unknown topic ${topic}; create it first`, { topic });
      this.#partitions.set(topic, count);
    }
    return count;
  }
}

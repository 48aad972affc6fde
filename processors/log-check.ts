import type pg from 'pg';
import { LogBehindStoreError, type LogGap } from '../contracts/errors.js';
import type { EventLog } from '../infra/log/event-log.js';
import { boundsOf, gapOf } from '../infra/log/gaps.js';
import { readConsumerOffsets } from './sink/pg-sink.js';

/**
 * Before the processor reads a partition (at start, and again whenever a rebalance hands it
 * partitions) the position the database holds must lie inside what the log holds. A log that went
 * backwards (topic recreated, cluster rebuilt, retention past unprocessed records) would otherwise
 * be read from the stored offsets as if nothing happened: new records below them skipped as
 * "already stored", deleted ones never missed. That is refused with every such partition named.
 */
export async function verifyLogPositions(options: {
  log: EventLog;
  pool: pg.Pool;
  consumer: string;
  /** Topic → the partitions about to be read. */
  assignment: ReadonlyMap<string, readonly number[]>;
}): Promise<void> {
  const topics = [...options.assignment.keys()];
  if (topics.length === 0) return;
  const stored = await readConsumerOffsets(options.pool, options.consumer, topics);
  const gaps: LogGap[] = [];
  for (const [topic, partitions] of options.assignment) {
    const bounds = await boundsOf(options.log, topic);
    for (const partition of partitions) {
      const held = bounds.get(partition);
      if (!held) continue;
      const gap = gapOf(topic, partition, stored.get(`${topic}\u0000${partition}`) ?? 0, held);
      if (gap) gaps.push(gap);
    }
  }
  if (gaps.length > 0) throw new LogBehindStoreError(options.consumer, gaps);
}

/** Every partition of the topics: what a processor that owns them all is about to read. */
export async function allPartitions(
  log: EventLog,
  topics: readonly string[],
): Promise<Map<string, number[]>> {
  const assignment = new Map<string, number[]>();
  for (const topic of topics) assignment.set(topic, [...(await log.endOffsets(topic)).keys()]);
  return assignment;
}

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
  /**
   * Topic → the partitions about to be read (a rebalance), or the topics whose every partition is
   * (a start, before any assignment is known).
   */
  assignment: ReadonlyMap<string, readonly number[]> | readonly string[];
}): Promise<void> {
  const { assignment } = options;
  const topics = Array.isArray(assignment)
    ? assignment
    : [...(assignment as ReadonlyMap<string, unknown>).keys()];
  if (topics.length === 0) return;
  const stored = await readConsumerOffsets(options.pool, options.consumer, topics);
  const gaps: LogGap[] = [];
  for (const topic of topics) {
    const bounds = await boundsOf(options.log, topic);
    const partitions = Array.isArray(assignment)
      ? [...bounds.keys()]
      : ((assignment as ReadonlyMap<string, readonly number[]>).get(topic) ?? []);
    for (const partition of partitions) {
      const held = bounds.get(partition);
      if (!held) continue;
      const gap = gapOf(topic, partition, stored.get(`${topic}\u0000${partition}`) ?? 0, held);
      if (gap) gaps.push(gap);
    }
  }
  if (gaps.length > 0) throw new LogBehindStoreError(options.consumer, gaps);
}

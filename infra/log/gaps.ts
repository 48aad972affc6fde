import type { LogGap } from '../../contracts/errors.js';
import type { EventLog } from './event-log.js';

/** What a log holds of one partition: its first held offset and the next offset to be written. */
export interface PartitionBounds {
  start: number;
  end: number;
}

/**
 * Compares a stored position (the next offset a consumer will read; 0 when it never read the
 * partition) with what the log holds. A position past the end means the log was recreated or
 * truncated under the store; one below the start means records it still needs were deleted. A
 * position equal to the end (nothing new) or the start (a re-anchored consumer) is in order.
 */
export function gapOf(
  topic: string,
  partition: number,
  stored: number,
  bounds: PartitionBounds,
): LogGap | undefined {
  if (stored > bounds.end) return { topic, partition, stored, ...bounds, kind: 'behind-store' };
  if (stored < bounds.start) return { topic, partition, stored, ...bounds, kind: 'records-deleted' };
  return undefined;
}

/** Start and end offsets of every partition of a topic. */
export async function boundsOf(log: EventLog, topic: string): Promise<Map<number, PartitionBounds>> {
  const [starts, ends] = [await log.startOffsets(topic), await log.endOffsets(topic)];
  const bounds = new Map<number, PartitionBounds>();
  for (const [partition, end] of ends) bounds.set(partition, { start: starts.get(partition) ?? 0, end });
  return bounds;
}

import type { Pool } from 'pg';
import { ControlLogLostEventsError, type LogGap } from '../../contracts/errors.js';
import { boundsOf, gapOf } from '../../infra/log/gaps.js';
import { qualified } from '../store/tables.js';
import { type ControlLogPorts, topicOf } from './control-log.js';

/** The control topic's one partition (contracts/topics.ts). */
const PARTITION = 0;

/**
 * The control log is folded from offset 0 (commands, fetch planning) and into the projection
 * tables from their checkpoints. Both are only right if the log still holds every event: from 0
 * (its retention is infinite, so a start above 0 means events were deleted) up to at least the
 * highest checkpoint (a lower end means the topic was recreated or truncated). Anything else
 * would fold into an empty, fresh-looking state, so it is refused.
 */
export async function verifyControlLog(ports: ControlLogPorts, highestCheckpoint: number): Promise<void> {
  const topic = topicOf(ports);
  const bounds = (await boundsOf(ports.log, topic)).get(PARTITION) ?? { start: 0, end: 0 };
  const gaps = [gapOf(topic, PARTITION, highestCheckpoint, bounds), gapOf(topic, PARTITION, 0, bounds)];
  const found = gaps.filter((gap): gap is LogGap => gap !== undefined);
  if (found.length > 0) throw new ControlLogLostEventsError(found);
}

/** `verifyControlLog` against the projections' checkpoints in the store: before any fold from 0. */
export async function verifyControlLogAgainst(
  ports: ControlLogPorts,
  pool: Pick<Pool, 'query'>,
): Promise<void> {
  await verifyControlLog(ports, await highestCheckpoint(pool));
}

/** The furthest any projection has folded the control log (0 when none has). */
export async function highestCheckpoint(pool: Pick<Pool, 'query'>, schema?: string): Promise<number> {
  const { rows } = await pool.query<{ next_offset: string | null }>(
    `SELECT max(next_offset) AS next_offset FROM ${qualified('projection_checkpoint', schema)}`,
  );
  return Number(rows[0]?.next_offset ?? 0);
}

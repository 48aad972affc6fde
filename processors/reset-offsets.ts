import type pg from 'pg';
import { ValidationError } from '../contracts/errors.js';
import type { ControlPayload } from '../contracts/events/control.js';
import type { SchemaCodec } from '../infra/codec/schema-codec.js';
import type { EventLog } from '../infra/log/event-log.js';
import { boundsOf } from '../infra/log/gaps.js';
import { withTransaction } from '../infra/store/pg.js';
import { appendControl, newControlEvent } from '../projections/log/control-log.js';
import { readConsumerOffsets } from './sink/pg-sink.js';

/** `<topic>[:<partition>]=earliest|<offset>`: where an operator re-anchors a consumer. */
export interface ResetSpec {
  topic: string;
  /** All partitions of the topic when absent. */
  partition?: number;
  to: 'earliest' | number;
}

const SPEC = /^([^:=\s]+)(?::(\d+))?=(earliest|\d+)$/;

export function parseResetSpec(text: string): ResetSpec {
  const match = SPEC.exec(text.trim());
  if (!match) {
    throw new ValidationError('command line', [
      { path: '--reset-offsets', message: `'${text}' is not <topic>[:<partition>]=earliest|<offset>` },
    ]);
  }
  const [, topic = '', partition, to = ''] = match;
  return {
    topic,
    ...(partition !== undefined && { partition: Number(partition) }),
    to: to === 'earliest' ? 'earliest' : Number(to),
  };
}

export type OffsetsReset = ControlPayload<'OffsetsReset'>;

/**
 * Moves a consumer's stored positions to where the operator says, inside what the log holds now,
 * and records each move as an OffsetsReset control event with the reason. The event is appended
 * first: a crash before the positions are written leaves a record of the intent and a command to
 * rerun, never an unexplained jump. The log group's committed offsets follow the database (the
 * processor refuses a group ahead of it).
 */
export async function resetOffsets(options: {
  log: EventLog;
  codec: SchemaCodec;
  pool: pg.Pool;
  consumer: string;
  /** The topics this consumer reads; a spec naming another is refused. */
  topics: readonly string[];
  specs: readonly ResetSpec[];
  reason: string;
  actor: string;
  now: number;
}): Promise<OffsetsReset[]> {
  if (!options.reason.trim()) {
    throw new ValidationError('command line', [{ path: '--reason', message: 'say why the offsets move' }]);
  }
  const resets = await plan(options);
  if (resets.length === 0) return [];
  await appendControl(
    { log: options.log, codec: options.codec },
    resets.map((payload) =>
      newControlEvent('OffsetsReset', payload, { actor: options.actor, now: options.now }),
    ),
  );
  await withTransaction(options.pool, async (client) => {
    for (const r of resets) {
      await client.query(
        `INSERT INTO consumer_offset (consumer, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
         ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
        [r.consumer, r.topic, r.partition, r.offset],
      );
    }
  });
  for (const topic of new Set(resets.map((r) => r.topic))) {
    const moved = new Map(resets.filter((r) => r.topic === topic).map((r) => [r.partition, r.offset]));
    await options.log.setCommittedOffsets(options.consumer, topic, moved);
  }
  return resets;
}

async function plan(options: Parameters<typeof resetOffsets>[0]): Promise<OffsetsReset[]> {
  const issues: { path: string; message: string }[] = [];
  const resets = new Map<string, OffsetsReset>();
  const stored = await readConsumerOffsets(options.pool, options.consumer, options.topics);
  for (const spec of options.specs) {
    const path = `--reset-offsets ${spec.topic}`;
    if (!options.topics.includes(spec.topic)) {
      issues.push({ path, message: `not a topic this processor reads (${options.topics.join(', ')})` });
      continue;
    }
    const bounds = await boundsOf(options.log, spec.topic);
    const partitions = spec.partition === undefined ? [...bounds.keys()] : [spec.partition];
    for (const partition of partitions) {
      const held = bounds.get(partition);
      if (!held) {
        issues.push({ path, message: `no partition ${partition} (the topic has ${bounds.size})` });
        continue;
      }
      const offset = spec.to === 'earliest' ? held.start : spec.to;
      if (offset < held.start || offset > held.end) {
        issues.push({
          path,
          message: `offset ${offset} of partition ${partition} is outside the log (${held.start} … ${held.end})`,
        });
        continue;
      }
      resets.set(`${spec.topic}\u0000${partition}`, {
        consumer: options.consumer,
        topic: spec.topic,
        partition,
        previous: stored.get(`${spec.topic}\u0000${partition}`) ?? null,
        offset,
        logStart: held.start,
        logEnd: held.end,
        reason: options.reason,
      });
    }
  }
  if (issues.length > 0) throw new ValidationError('offset reset', issues);
  return [...resets.values()];
}

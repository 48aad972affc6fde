import type { EventLog } from '../../../infra/log/event-log.js';

const slotOf = (topic: string, partition: number) => `${topic}/${partition}`;

/** The next offset to be written, per `<topic>/<partition>`. */
export async function endOffsets(log: EventLog, topics: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const topic of topics) {
    for (const [partition, end] of await log.endOffsets(topic)) out.set(slotOf(topic, partition), end);
  }
  return out;
}

/** The log group's committed offsets, per `<topic>/<partition>` (absent: never committed). */
export async function committedOffsets(
  log: EventLog,
  group: string,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const topic of topics) {
    for (const [partition, next] of await log.committedOffsets(group, topic))
      out.set(slotOf(topic, partition), next);
  }
  return out;
}

/** How many times each record key occurs in the topics, read from the log itself. */
export async function keyCounts(log: EventLog, topics: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const topic of topics) {
    for (const [partition, end] of await log.endOffsets(topic)) {
      let from = 0;
      while (from < end) {
        const records = await log.read(topic, partition, from);
        if (records.length === 0) throw new Error(`${topic}/${partition} ends at ${from}, not ${end}`);
        for (const record of records) {
          const key = record.key ?? '';
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        from = (records.at(-1)?.offset ?? from) + 1;
      }
    }
  }
  return counts;
}

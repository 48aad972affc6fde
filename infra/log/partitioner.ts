import { Partitioners } from 'kafkajs';

/**
 * Picks a partition the way the Java client does (murmur2 of the key), so the embedded log and
 * Kafka place a key on the same partition number and a log can move between them.
 */
export function createPartitioner(): (topic: string, partitions: number, key: string | null) => number {
  const pick = Partitioners.DefaultPartitioner();
  const metadata = new Map<number, { partitionId: number; leader: number }[]>();
  return (topic, partitions, key) => {
    let partitionMetadata = metadata.get(partitions);
    if (!partitionMetadata) {
      partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 0,
      }));
      metadata.set(partitions, partitionMetadata);
    }
    return pick({
      topic,
      partitionMetadata: partitionMetadata as never,
      message: { key, value: null },
    });
  };
}

import { Partitioners } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Keys are encoded into this buffer, so hashing a key allocates nothing unless it is long. */
let scratch = Buffer.alloc(256);

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`) of the key's UTF-8 bytes, as a signed 32-bit
 * integer. kafkajs computes the same value with 64-bit `Long` objects, several allocations per
 * 4 bytes; only the low 32 bits of each product matter, which `Math.imul` gives directly.
 */
export function murmur2(key: string): number {
  const length = Buffer.byteLength(key);
  if (length > scratch.length) scratch = Buffer.alloc(length * 2);
  const data = scratch;
  data.write(key, 0, 'utf8');
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k =
      (data[i4] as number) |
      ((data[i4 + 1] as number) << 8) |
      ((data[i4 + 2] as number) << 16) |
      ((data[i4 + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= (data[tail + 2] as number) << 16;
    if (rest >= 2) h ^= (data[tail + 1] as number) << 8;
    h ^= data[tail] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Picks a partition the way the Java client does (murmur2 of the key), so the embedded log and
 * Kafka place a key on the same partition number and a log can move between them. A record
 * without a key goes round-robin, as kafkajs's default partitioner does.
 */
export function createPartitioner(): (topic: string, partitions: number, key: string | null) => number {
  const pick = Partitioners.DefaultPartitioner();
  const metadata = new Map<number, { partitionId: number; leader: number }[]>();
  return (topic, partitions, key) => {
    if (key !== null) return (murmur2(key) & 0x7fffffff) % partitions;
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

import { createRequire } from 'node:module';
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createPartitioner, murmur2 } from '../../../infra/log/partitioner.js';

// kafkajs's own murmur2 (64-bit Long arithmetic), the reference our Math.imul version must equal.
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: string,
) => number;

describe('murmur2', () => {
  it('equals kafkajs’s for any string key, multi-byte characters and long keys included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (key) => {
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }),
      { numRuns: 2_000 },
    );
  });

  it('equals kafkajs’s on the keys the raw topics carry', () => {
    for (const key of ['', 'a', 'ab', 'abc', 'daily|000001.SZ|20240102', 'fut_daily|CU2403.SHF|20240105'])
      expect(murmur2(key)).toBe(kafkajsMurmur2(key));
  });
});

describe('createPartitioner', () => {
  it('places a keyed record where kafkajs’s default partitioner does', () => {
    const ours = createPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.integer({ min: 1, max: 64 }), (key, partitions) => {
        const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
          partitionId,
          leader: 0,
        }));
        expect(ours('t', partitions, key)).toBe(
          theirs({
            topic: 't',
            partitionMetadata: partitionMetadata as never,
            message: { key, value: null },
          }),
        );
      }),
      { numRuns: 1_000 },
    );
  });
});

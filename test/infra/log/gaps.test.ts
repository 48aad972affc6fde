import { describe, expect, it } from 'vitest';
import { describeGap } from '../../../contracts/errors.js';
import { gapOf } from '../../../infra/log/gaps.js';

describe('gapOf: a stored position against what the log holds', () => {
  const T = 'tushare.raw.daily';

  it('accepts any position from the log start to its end, both included', () => {
    for (const stored of [100, 150, 200])
      expect(gapOf(T, 0, stored, { start: 100, end: 200 })).toBeUndefined();
    expect(gapOf(T, 0, 0, { start: 0, end: 0 })).toBeUndefined();
  });

  it('calls a position past the end a log behind the store (topic recreated or truncated)', () => {
    const gap = gapOf(T, 3, 5_120, { start: 0, end: 840 });
    expect(gap).toEqual({ topic: T, partition: 3, stored: 5_120, start: 0, end: 840, kind: 'behind-store' });
    expect(describeGap(gap as NonNullable<typeof gap>)).toBe(
      `${T}/3: the database is at offset 5120 but the log ends at 840`,
    );
  });

  it('calls a position below the start deleted records (retention), a never-read partition included', () => {
    const gap = gapOf(T, 1, 0, { start: 40, end: 90 });
    expect(gap?.kind).toBe('records-deleted');
    expect(describeGap(gap as NonNullable<typeof gap>)).toBe(
      `${T}/1: the database needs records from offset 0 but the log starts at 40`,
    );
  });

  it('calls a recreated topic that refilled past the store in order: offsets alone cannot tell', () => {
    expect(gapOf(T, 0, 500, { start: 0, end: 900 })).toBeUndefined();
  });
});

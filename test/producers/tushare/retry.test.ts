import { describe, expect, it } from 'vitest';
import {
  TushareBadResponseError,
  TusharePermissionError,
  TushareRateLimitError,
  TushareTokenError,
  TushareTransientError,
} from '../../../contracts/errors.js';
import { fullJitterDelay, worthRetrying } from '../../../producers/tushare/retry.js';

describe('fullJitterDelay', () => {
  const backoff = { baseMs: 100, maxMs: 1_000 };

  it('draws from [0, base·2^(attempt−1)) capped at max', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => fullJitterDelay(a, backoff, () => 0.999_999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(fullJitterDelay(3, backoff, () => 0)).toBe(0);
    expect(fullJitterDelay(3, backoff, () => 0.5)).toBe(200);
  });

  it('spreads real draws over the whole interval', () => {
    const draws = Array.from({ length: 2_000 }, () => fullJitterDelay(4, backoff, Math.random));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(800);
    expect(draws.filter((d) => d < 400).length).toBeGreaterThan(800);
    expect(draws.filter((d) => d >= 400).length).toBeGreaterThan(800);
  });
});

describe('worthRetrying', () => {
  const at = { apiName: 'daily', paramsHash: 'h', page: 0 };
  it.each([
    ['transient', new TushareTransientError('x', { ...at, reason: 'timeout' }), true],
    ['per-minute rate limit', new TushareRateLimitError('x', { ...at, window: 'minute' }), true],
    ['daily quota', new TushareRateLimitError('x', { ...at, window: 'day' }), false],
    ['hourly quota', new TushareRateLimitError('x', { ...at, window: 'hour' }), false],
    ['malformed JSON', new TushareBadResponseError('x', { ...at, reason: 'malformed_json' }), true],
    ['wrong shape', new TushareBadResponseError('x', { ...at, reason: 'bad_shape' }), false],
    ['token', new TushareTokenError('x', at), false],
    ['permission', new TusharePermissionError('x', at), false],
  ])('%s → %s', (_name, error, expected) => {
    expect(worthRetrying(error)).toBe(expected);
  });
});

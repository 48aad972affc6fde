import { describe, expect, it } from 'vitest';
import { TushareRateLimitError, TushareTransientError } from '../../../contracts/errors.js';
import { quotaStopOf } from '../../../producers/fetch/run.js';
import { quotaFreesAt } from '../../../producers/tushare/budget.js';

describe('quotaStopOf', () => {
  const now = Date.parse('2024-01-16T03:00:00Z');

  it('names the window, the limit and when a refused hour or day quota frees', () => {
    const refused = new TushareRateLimitError('day quota', {
      apiName: 'adj_factor',
      window: 'day',
      limit: 500,
    });
    expect(quotaStopOf('adj_factor', refused, now)).toEqual({
      apiName: 'adj_factor',
      window: 'day',
      limit: 500,
      until: quotaFreesAt('day', now),
    });
    const blocked = new TushareRateLimitError('blocked', {
      apiName: 'daily',
      window: 'hour',
      limit: 60,
      blockedUntil: now + 5,
    });
    expect(quotaStopOf('daily', blocked, now)).toMatchObject({ window: 'hour', until: now + 5 });
  });

  it('is no stop for a minute limit or another failure', () => {
    expect(
      quotaStopOf(
        'daily',
        new TushareRateLimitError('minute', { apiName: 'daily', window: 'minute', limit: 200 }),
        now,
      ),
    ).toBe(undefined);
    expect(quotaStopOf('daily', new TushareTransientError('503', { apiName: 'daily' }), now)).toBeUndefined();
  });
});

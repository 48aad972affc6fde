import { describe, expect, it } from 'vitest';
import { TushareRateLimitError } from '../../../contracts/errors.js';
import { LocalCallBudget, quotaFreesAt, tokenHash } from '../../../producers/tushare/budget.js';

describe('quotaFreesAt', () => {
  const at = Date.UTC(2026, 11, 2, 15, 42, 10);
  it('frees an hour quota at the next full hour, a day quota at the next Beijing midnight', () => {
    expect(new Date(quotaFreesAt('hour', at) as number).toISOString()).toBe('2026-12-02T16:00:00.000Z');
    // 15:42 UTC is 23:42 in Beijing: the day ends 18 minutes later, at 16:00 UTC.
    expect(new Date(quotaFreesAt('day', at) as number).toISOString()).toBe('2026-12-02T16:00:00.000Z');
    expect(new Date(quotaFreesAt('day', Date.UTC(2026, 11, 2, 16, 0, 1)) as number).toISOString()).toBe(
      '2026-12-03T16:00:00.000Z',
    );
    expect(quotaFreesAt('minute', at)).toBeNull();
  });
});

describe('tokenHash', () => {
  it('is stable, short and does not contain the token', () => {
    const token = 'a'.repeat(56);
    expect(tokenHash(token)).toBe(tokenHash(token));
    expect(tokenHash(token)).toMatch(/^[0-9a-f]{16}$/);
    expect(tokenHash(token)).not.toBe(tokenHash('b'.repeat(56)));
    expect(token.includes(tokenHash(token))).toBe(false);
  });
});

describe('LocalCallBudget', () => {
  it('lowers an endpoint to the limit Tushare states, never raises it, and leaves others alone', async () => {
    const budget = new LocalCallBudget({ callsPerMinute: 200, limits: { fut_daily: 120 } });
    await budget.learn({ apiName: 'daily', window: 'minute', limit: 50, blockedUntil: null });
    expect(budget.limitOf('daily')).toBe(50);
    await budget.learn({ apiName: 'daily', window: 'minute', limit: 80, blockedUntil: null });
    expect(budget.limitOf('daily')).toBe(50);
    await budget.learn({ apiName: 'fut_daily', window: 'minute', limit: 500, blockedUntil: null });
    expect(budget.limitOf('fut_daily')).toBe(120);
    expect(budget.limitOf('fund_daily')).toBe(200);
  });

  it('starts from limits learned by earlier runs', () => {
    const budget = new LocalCallBudget({
      callsPerMinute: 200,
      learned: [{ apiName: 'daily', window: 'minute', limit: 3, blockedUntil: null }],
    });
    expect(budget.limitOf('daily')).toBe(3);
  });

  it('refuses, without a call, an endpoint whose hour quota is used up, until the hour frees', async () => {
    let now = Date.UTC(2026, 11, 2, 15, 42);
    const budget = new LocalCallBudget({ callsPerMinute: 200, clock: () => now });
    const until = quotaFreesAt('hour', now) as number;
    await budget.learn({ apiName: 'daily', window: 'hour', limit: 10, blockedUntil: until });
    const refused = await budget.acquire('daily').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TushareRateLimitError);
    expect((refused as TushareRateLimitError).details).toMatchObject({
      window: 'hour',
      limit: 10,
      blockedUntil: until,
      reason: 'quota_exhausted',
    });
    await expect(budget.acquire('fund_daily')).resolves.toBeUndefined();
    now = until;
    await expect(budget.acquire('daily')).resolves.toBeUndefined();
  });
});

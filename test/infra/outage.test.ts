import { describe, expect, it } from 'vitest';
import { outageDelay, outlast } from '../../infra/outage.js';

class Gone extends Error {}
class Refused extends Error {}

describe('outlast', () => {
  it('retries an outage until the work succeeds, telling each wait', async () => {
    let calls = 0;
    const waits: number[] = [];
    const value = await outlast(
      async () => {
        calls += 1;
        if (calls < 3) throw new Gone();
        return 'done';
      },
      {
        patienceMs: 10_000,
        isOutage: (err) => err instanceof Gone,
        baseDelayMs: 1,
        onRetry: ({ delayMs }) => waits.push(delayMs),
      },
    );
    expect(value).toBe('done');
    expect(waits).toEqual([1, 2]);
  });

  it('lets any other error through at once', async () => {
    let calls = 0;
    const work = async () => {
      calls += 1;
      throw new Refused();
    };
    await expect(outlast(work, { patienceMs: 10_000, isOutage: (e) => e instanceof Gone })).rejects.toThrow(
      Refused,
    );
    expect(calls).toBe(1);
  });

  it('gives up with the last error once the patience is spent', async () => {
    let calls = 0;
    const started = Date.now();
    const work = async () => {
      calls += 1;
      throw new Gone();
    };
    await expect(
      outlast(work, { patienceMs: 50, isOutage: (e) => e instanceof Gone, baseDelayMs: 10 }),
    ).rejects.toThrow(Gone);
    expect(calls).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops waiting when its signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const work = async () => {
      throw new Gone();
    };
    const started = Date.now();
    await expect(
      outlast(work, {
        patienceMs: 60_000,
        isOutage: (e) => e instanceof Gone,
        baseDelayMs: 30_000,
        signal: controller.signal,
      }),
    ).rejects.toThrow(Gone);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('outageDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => outageDelay(n, 500, 5_000))).toEqual([
      500, 1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
  });
});

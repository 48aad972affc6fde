import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../producers/tushare/rate-limiter.js';

const MINUTE = 60_000;

/**
 * A fake clock with a timer queue, so concurrent waiters wake in time order as they would for real.
 * `run` drains the queue: each step advances the clock to the next due sleeper.
 */
function fakeScheduler(start = 0) {
  let now = start;
  const timers: { at: number; seq: number; wake: () => void }[] = [];
  let seq = 0;
  return {
    clock: () => now,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push({ at: now + Math.max(0, ms), seq: seq++, wake: resolve });
      }),
    advance: (ms: number) => {
      now += ms;
    },
    async run(until: Promise<unknown>) {
      let done = false;
      until.then(
        () => {
          done = true;
        },
        () => {
          done = true;
        },
      );
      for (;;) {
        // Let every woken waiter run up to its next sleep before choosing the next timer.
        for (let i = 0; i < 20; i++) await Promise.resolve();
        if (done) return;
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers.shift();
        if (next === undefined) throw new Error('deadlock: nothing scheduled and not done');
        now = Math.max(now, next.at);
        next.wake();
      }
    },
  };
}

/** The most calls that started in any half-open window [t, t + 60 s). */
function busiestWindow(starts: number[]): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[j] as number) < (sorted[i] as number) - MINUTE + 1) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('RateLimiter', () => {
  it('lets N calls through at once and makes the next one wait for the window', async () => {
    const time = fakeScheduler();
    const limiter = new RateLimiter({ callsPerMinute: 3, clock: time.clock, sleep: time.sleep });
    const starts: number[] = [];
    const all = Promise.all(
      Array.from({ length: 4 }, () => limiter.acquire('daily').then(() => starts.push(time.clock()))),
    );
    await time.run(all);
    expect(starts).toEqual([0, 0, 0, MINUTE]);
  });

  it('never starts more than N calls in any 60 s window, under concurrency', async () => {
    const time = fakeScheduler(1_000);
    const limit = 7;
    const limiter = new RateLimiter({ callsPerMinute: limit, clock: time.clock, sleep: time.sleep });
    const starts: number[] = [];
    // 5 workers, each making calls with irregular gaps between them.
    const workers = Array.from({ length: 5 }, async (_, w) => {
      for (let k = 0; k < 12; k++) {
        await limiter.acquire('fut_daily');
        starts.push(time.clock());
        await time.sleep(((w * 7919 + k * 104_729) % 23_000) + 1);
      }
    });
    await time.run(Promise.all(workers));
    expect(starts).toHaveLength(60);
    expect(busiestWindow(starts)).toBe(limit);
    // Waiting, not failing: 60 calls at 7 a minute need at least 8 full windows.
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(8 * MINUTE);
  });

  it('keeps a separate window per endpoint and honours per-endpoint overrides', async () => {
    const time = fakeScheduler();
    const limiter = new RateLimiter({
      callsPerMinute: 2,
      limits: { daily: 5 },
      clock: time.clock,
      sleep: time.sleep,
    });
    const starts: Record<string, number[]> = { daily: [], shibor: [] };
    const calls = ['daily', 'shibor'].flatMap((key) =>
      Array.from({ length: 6 }, () => limiter.acquire(key).then(() => starts[key]?.push(time.clock()))),
    );
    await time.run(Promise.all(calls));
    expect(starts.daily).toEqual([0, 0, 0, 0, 0, MINUTE]);
    expect(starts.shibor).toEqual([0, 0, MINUTE, MINUTE, 2 * MINUTE, 2 * MINUTE]);
    expect(limiter.limitOf('daily')).toBe(5);
    expect(limiter.limitOf('cn_cpi')).toBe(2);
  });

  it('says how long until the oldest call in the window ages out', async () => {
    const time = fakeScheduler();
    const limiter = new RateLimiter({ callsPerMinute: 10, clock: time.clock, sleep: time.sleep });
    expect(limiter.msUntilSlotFrees('daily')).toBe(0);
    await limiter.acquire('daily');
    time.advance(15_000);
    await limiter.acquire('daily');
    expect(limiter.msUntilSlotFrees('daily')).toBe(45_000);
    time.advance(45_000);
    expect(limiter.msUntilSlotFrees('daily')).toBe(45_000 - 30_000);
  });

  it('stops waiting when the caller aborts', async () => {
    const limiter = new RateLimiter({ callsPerMinute: 1 });
    await limiter.acquire('daily');
    const controller = new AbortController();
    const waiting = limiter.acquire('daily', controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});

/**
 * Riding out a dependency that went away mid-run (a broker restart, a registry restart, a database
 * failover): the work is tried again with capped exponential backoff until it succeeds, fails for
 * another reason, or the patience is spent; then the last error stands.
 */
export interface OutlastOptions {
  /** Total time to keep trying, from the first failure; 0 tries once. */
  patienceMs: number;
  /** Whether an error means "gone for now" rather than "refused". */
  isOutage: (err: unknown) => boolean;
  /** Told before every wait, e.g. to log that the command is waiting and why. */
  onRetry?: (info: { attempt: number; delayMs: number; err: unknown }) => void;
  signal?: AbortSignal;
  /** First wait; doubles up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export async function outlast<T>(work: () => Promise<T>, options: OutlastOptions): Promise<T> {
  let deadline: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      deadline ??= Date.now() + options.patienceMs;
      const left = deadline - Date.now();
      if (!options.isOutage(err) || left <= 0 || options.signal?.aborted) throw err;
      const delayMs = Math.min(
        left,
        outageDelay(attempt, options.baseDelayMs ?? 500, options.maxDelayMs ?? 5_000),
      );
      options.onRetry?.({ attempt, delayMs, err });
      await pause(delayMs, options.signal);
    }
  }
}

/**
 * The wait before retry `attempt` (1-based): doubling from `baseMs`, capped so that a service that
 * came back is noticed within `maxMs`.
 */
export function outageDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller then sees the signal). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface Loop {
  /** Lets the round in progress finish, then stops; resolves when it has. */
  stop(): Promise<void>;
}

/**
 * Runs `round` now and then every `everyMs` after the previous round ended, until stopped. A
 * round that throws is reported and the loop goes on: the next round retries from durable state.
 */
export function every(everyMs: number, round: () => Promise<void>, onError?: (err: unknown) => void): Loop {
  let running = true;
  let wake: (() => void) | undefined;
  const done = (async () => {
    while (running) {
      try {
        await round();
      } catch (err) {
        onError?.(err);
      }
      if (!running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    stop: async () => {
      running = false;
      wake?.();
      await done;
    },
  };
}

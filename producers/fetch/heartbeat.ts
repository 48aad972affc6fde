import type { ControlWriter } from './control.js';

export interface Heartbeat {
  /** Stops the timer and waits for a beat in flight, so none lands after the run's last event. */
  stop(): Promise<void>;
}

/**
 * Appends RunHeartbeat every `everyMs` while a run works: the run projection closes a run whose
 * last beat is older than its timeout as abandoned. A beat that fails is reported and skipped (the
 * next one may succeed); beats never overlap.
 */
export function startHeartbeat(options: {
  control: ControlWriter;
  runId: string;
  everyMs: number;
  rowsSoFar: () => number;
  onError?: (err: unknown) => void;
}): Heartbeat {
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = options.control
      .append('RunHeartbeat', { runId: options.runId, rowsSoFar: options.rowsSoFar() })
      .then(
        () => undefined,
        (err: unknown) => options.onError?.(err),
      )
      .finally(() => {
        inFlight = undefined;
      });
  }, options.everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}

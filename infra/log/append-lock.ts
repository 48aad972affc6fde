/**
 * Mutual exclusion for appends to one topic. Kafka has no conditional append, so a compare-and-
 * append there is "check the end, then send" under a lock every writer of the topic takes; the
 * lock must live where all those writers meet (the store: infra/store/advisory-lock.ts).
 */
export interface AppendLock {
  /** Runs `work` while no other holder of the lock named `name` runs. */
  holding<T>(name: string, work: () => Promise<T>): Promise<T>;
}

/**
 * The lock of one process: enough for tests and single-process tools, not across processes. A log
 * built without a shared lock falls back to it, so its own conditional appends still exclude each
 * other.
 */
export class InProcessLock implements AppendLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  holding<T>(name: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#tails.get(name) ?? Promise.resolve()).then(work, work);
    const tail = run.catch(() => {});
    this.#tails.set(name, tail);
    void tail.then(() => {
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    });
    return run;
  }
}

import { type ControlState, controlReducer } from '../reducers/control.js';
import { foldFrom } from '../reducers/types.js';
import { type ControlLogPorts, readControlBatches } from './control-log.js';

/**
 * The whole control state folded from the log in memory, kept current by reading only what was
 * appended since the last refresh. Commands decide on it rather than on the tables, which may lag
 * behind the log. `exclusive` runs one decide-and-append at a time, so two commands from one
 * process never decide on the same state; across processes, a command appends only if the log
 * has not moved since the state it decided on (projections/commands/handle.ts).
 */
export class ControlView {
  readonly #ports: ControlLogPorts;
  #state: ControlState = controlReducer.initial();
  #next = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(ports: ControlLogPorts) {
    this.#ports = ports;
  }

  get state(): ControlState {
    return this.#state;
  }

  /** The offset the state has folded up to (exclusive). */
  get next(): number {
    return this.#next;
  }

  /** Folds what was appended since the last refresh; serialized with `exclusive`. */
  refresh(): Promise<ControlState> {
    return this.exclusive(async (state) => state);
  }

  /**
   * Runs `work` on the freshly refreshed state, after every earlier call has finished. `catchUp`
   * folds what was appended since, for work that found the log moved under it (only valid inside).
   */
  exclusive<T>(work: (state: ControlState, catchUp: () => Promise<ControlState>) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => work(await this.#catchUp(), () => this.#catchUp()));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #catchUp(): Promise<ControlState> {
    for await (const batch of readControlBatches(this.#ports, { from: this.#next })) {
      this.#state = foldFrom(controlReducer, this.#state, batch);
      this.#next = (batch.at(-1)?.meta.offset ?? this.#next - 1) + 1;
    }
    return this.#state;
  }
}

/** The control state at the end of the log, folded from offset 0. */
export async function foldControlLog(ports: ControlLogPorts): Promise<ControlState> {
  return new ControlView(ports).refresh();
}

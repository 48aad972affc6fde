import {
  AppendConflictError,
  CommandConflictError,
  CommandRefusedError,
  ValidationError,
} from '../../contracts/errors.js';
import type { ControlEvent } from '../../contracts/events/control.js';
import { appendControl, type ControlLogPorts } from '../log/control-log.js';
import { ControlView } from '../log/control-view.js';
import type { ControlState } from '../reducers/control.js';

/**
 * What a command needs: the control log and its codec. A long-lived caller (the API server) passes
 * one `view` for all its commands: the state is then folded incrementally, and its commands are
 * decided one at a time.
 */
export interface CommandPorts extends ControlLogPorts {
  view?: ControlView;
}

export interface CommandResult {
  /** What was appended, in order; empty when the command found nothing to change. */
  events: ControlEvent[];
  offsets: number[];
}

/**
 * How many times a command is decided before it gives up on a log that keeps moving. Losing once
 * is normal (a heartbeat or another command landed between fold and append); losing this often
 * means many writers at once, and the caller is better told than kept waiting.
 */
export const DECIDE_ATTEMPTS = 8;

/**
 * Decides on the state at the end of the log and appends what was decided, only if the log still
 * ends where that state was folded up to (a conditional append; infra/log). Commands from other
 * processes (CLI runs, `serve`'s evaluator and API) can therefore never both append a decision taken
 * on the same state: the loser folds the winner's events and is decided again on the new state,
 * where the rules may now refuse it (a phase already advanced) or build on it (a flag change on the
 * other's flags). A decision throws (CommandRefusedError, ValidationError) before anything is
 * appended; a command that loses DECIDE_ATTEMPTS times throws CommandConflictError.
 */
export async function runCommand<R extends object = object>(
  ports: CommandPorts,
  decide: (state: ControlState) => { events: ControlEvent[] } & R,
): Promise<CommandResult & R> {
  const view = ports.view ?? new ControlView(ports);
  return view.exclusive(async (first, catchUp) => {
    let state = first;
    for (let attempt = 1; ; attempt++) {
      const decidedAt = view.next;
      const decided = redecided(attempt, decidedAt, () => decide(state));
      try {
        const offsets = await appendControl(ports, decided.events, { ifEndIs: decidedAt });
        return { ...decided, offsets };
      } catch (err) {
        if (!(err instanceof AppendConflictError)) throw err;
        if (attempt >= DECIDE_ATTEMPTS) throw new CommandConflictError(attempt, decidedAt);
      }
      // Many losers at once would collide again in lockstep; a little jitter spreads them out.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      state = await catchUp();
    }
  });
}

/** A refusal after a lost race says so: the state it was refused on is not the one first read. */
function redecided<T>(attempt: number, at: number, decide: () => T): T {
  try {
    return decide();
  } catch (err) {
    if (attempt === 1 || !(err instanceof CommandRefusedError)) throw err;
    const { command, reasons: _reasons, ...details } = err.details;
    throw new CommandRefusedError(
      typeof command === 'string' ? command : 'command',
      [...err.reasons, `decided again on the state before offset ${at}, after a concurrent change`],
      { ...details, redecidedAt: at },
    );
  }
}

/** Who and why are part of every change on record: empty strings are refused up front. */
export function requireText(fields: Record<string, string>): void {
  const issues = Object.entries(fields)
    .filter(([, value]) => typeof value !== 'string' || value.trim() === '')
    .map(([path]) => ({ path, message: 'required, non-empty' }));
  if (issues.length > 0) throw new ValidationError('command input', issues);
}

export function requireTime(now: number): void {
  if (!Number.isSafeInteger(now) || now < 0) {
    throw new ValidationError('command input', [{ path: 'now', message: 'milliseconds since the epoch' }]);
  }
}

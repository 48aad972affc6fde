import { ValidationError } from '../../contracts/errors.js';
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
 * Decides on the state at the end of the log and appends what was decided. A decision throws
 * (CommandRefusedError, ValidationError) before anything is appended.
 */
export async function runCommand<R extends object = object>(
  ports: CommandPorts,
  decide: (state: ControlState) => { events: ControlEvent[] } & R,
): Promise<CommandResult & R> {
  const view = ports.view ?? new ControlView(ports);
  return view.exclusive(async (state) => {
    const decided = decide(state);
    const offsets = await appendControl(ports, decided.events);
    return { ...decided, offsets };
  });
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

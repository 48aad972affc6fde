import { CommandRefusedError } from '../../contracts/errors.js';
import type { ControlEvent } from '../../contracts/events/control.js';
import { newControlEvent } from '../log/control-log.js';
import type { ControlState } from '../reducers/control.js';
import { isForward } from '../reducers/cursors.js';
import { own } from '../reducers/types.js';
import { type CommandPorts, type CommandResult, requireText, requireTime, runCommand } from './handle.js';

export interface AdvanceCursorInput {
  cursor: string;
  value: string;
  runId?: string | null;
  actor: string;
  now: number;
}

/**
 * Cursors only move forward: a value behind the current one is refused with the reason; the same
 * value again appends nothing (a resumed run re-reporting its position is not an error).
 */
export function decideAdvanceCursor(
  state: ControlState,
  input: AdvanceCursorInput,
): { events: ControlEvent[] } {
  requireText({ actor: input.actor, cursor: input.cursor, value: input.value });
  requireTime(input.now);
  const current = own(state.cursors.cursors, input.cursor)?.value;
  if (current === input.value) return { events: [] };
  if (!isForward(current, input.value)) {
    throw new CommandRefusedError(
      'advanceCursor',
      [`cursor ${input.cursor} is at ${current}; ${input.value} would move it back`],
      { cursor: input.cursor, current, value: input.value },
    );
  }
  return {
    events: [
      newControlEvent(
        'CursorAdvanced',
        { cursor: input.cursor, value: input.value, previous: current ?? null, runId: input.runId ?? null },
        input,
      ),
    ],
  };
}

export function advanceCursor(ports: CommandPorts, input: AdvanceCursorInput): Promise<CommandResult> {
  return runCommand(ports, (state) => decideAdvanceCursor(state, input));
}

/** The alert name of a cursor regression; its `value` is the offset of the ignored event. */
export const CURSOR_REGRESSION_ALERT = 'cursor_regression';

/**
 * The cursor-regression policy: one AlertRaised per CursorAdvanced the cursors projection ignored
 * for moving back. It looks at the whole log (regressions and the alerts already raised for them,
 * matched by offset), so running it again, or after a crash, raises nothing twice. Replays and
 * rebuilds never run it: they only fold.
 */
export function decideCursorRegressionAlerts(
  state: ControlState,
  context: { actor: string; now: number },
): { events: ControlEvent[] } {
  const alerted = new Set(
    state.alerts.alerts.filter((a) => a.alert === CURSOR_REGRESSION_ALERT).map((a) => a.value),
  );
  const events = state.cursors.regressions
    .filter((r) => !alerted.has(r.offset))
    .map((r) =>
      newControlEvent(
        'AlertRaised',
        {
          alert: CURSOR_REGRESSION_ALERT,
          severity: 'warning',
          message: `CursorAdvanced at offset ${r.offset} would move ${r.cursor} back from ${r.current} to ${r.value}; ignored`,
          value: r.offset,
          threshold: null,
        },
        context,
      ),
    );
  return { events };
}

export function alertCursorRegressions(
  ports: CommandPorts,
  context: { actor: string; now: number },
): Promise<CommandResult> {
  return runCommand(ports, (state) => decideCursorRegressionAlerts(state, context));
}

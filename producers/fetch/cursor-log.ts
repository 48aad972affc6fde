import { CONTROL_TOPIC } from '../../contracts/events/control.js';
import type { SchemaCodec } from '../../infra/codec/schema-codec.js';
import type { EventLog } from '../../infra/log/event-log.js';
import { readControlBatches } from '../../projections/log/control-log.js';
import { type CursorsState, cursorsReducer } from '../../projections/reducers/cursors.js';
import { foldFrom } from '../../projections/reducers/types.js';

/**
 * The cursors as the control log says they are: a fold of every CursorAdvanced from offset 0 with
 * the cursor reducer. A restarted run reads them here rather than from a table, so it resumes
 * exactly after what the log acknowledged.
 */
export async function loadCursors(
  log: EventLog,
  codec: SchemaCodec,
  topic: string = CONTROL_TOPIC,
): Promise<CursorsState> {
  let state = cursorsReducer.initial();
  for await (const batch of readControlBatches({ log, codec, topic }))
    state = foldFrom(cursorsReducer, state, batch);
  return state;
}

export function cursorValues(state: CursorsState): Record<string, string> {
  return Object.fromEntries(Object.entries(state.cursors).map(([name, entry]) => [name, entry.value]));
}

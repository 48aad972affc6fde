import { CONTROL_TOPIC } from '../../contracts/events/control.js';
import { controlEventFromWire } from '../../contracts/events/control-wire.js';
import type { SchemaCodec } from '../../infra/codec/schema-codec.js';
import type { EventLog } from '../../infra/log/event-log.js';
import { type CursorsState, cursorsReducer } from '../../projections/reducers/cursors.js';

const READ_CHUNK = 5_000;

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
  const end = (await log.endOffsets(topic)).get(0) ?? 0;
  let state = cursorsReducer.initial();
  let offset = 0;
  while (offset < end) {
    const records = await log.read(topic, 0, offset, READ_CHUNK);
    if (records.length === 0) break;
    for (const record of records) {
      const event = controlEventFromWire(await codec.decode(topic, record.value));
      state = cursorsReducer.apply(state, event, { offset: record.offset, timestamp: record.timestamp });
    }
    offset = (records[records.length - 1]?.offset ?? offset) + 1;
  }
  return state;
}

export function cursorValues(state: CursorsState): Record<string, string> {
  return Object.fromEntries(Object.entries(state.cursors).map(([name, entry]) => [name, entry.value]));
}

import { ValidationError } from '../errors.js';
import { CONTROL_PAYLOADS, ControlEvent, type ControlEventType } from './control.js';

const NAMESPACE = 'xasset.control';

/** The Avro shape of a control event: avsc writes a union of records as `{ <full name>: value }`. */
export interface ControlEventWire {
  eventId: string;
  occurredAt: number;
  actor: string;
  payload: Record<string, unknown>;
}

export function controlEventToWire(event: ControlEvent): ControlEventWire {
  return {
    eventId: event.eventId,
    occurredAt: event.occurredAt,
    actor: event.actor,
    payload: { [`${NAMESPACE}.${event.type}`]: event.payload },
  };
}

/** Reads a decoded Avro value back into a validated event; anything else is a ValidationError. */
export function controlEventFromWire(value: unknown): ControlEvent {
  // avsc decodes records into class instances with enumerable prototype methods, which a strict
  // zod object would reject; control events hold only JSON values, so a JSON copy is exact.
  const wire = JSON.parse(JSON.stringify(value ?? null)) as Partial<ControlEventWire> | null;
  const [branch, payload] = Object.entries(wire?.payload ?? {})[0] ?? [];
  const type = branch?.startsWith(`${NAMESPACE}.`) ? branch.slice(NAMESPACE.length + 1) : undefined;
  if (!type || !(type in CONTROL_PAYLOADS)) {
    throw new ValidationError('control event', [
      { path: 'payload', message: `unknown event type ${branch}` },
    ]);
  }
  const parsed = ControlEvent.safeParse({ ...wire, type: type as ControlEventType, payload });
  if (!parsed.success) {
    throw new ValidationError(
      'control event',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return parsed.data as ControlEvent;
}

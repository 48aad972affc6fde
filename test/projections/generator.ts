import fc from 'fast-check';
import type { ControlEvent, ControlPayload } from '../../contracts/events/control.js';
import { DEFAULT_FLAGS, FLAG_NAMES, type RolloutFlags } from '../../contracts/flags.js';
import type { LoggedEvent } from '../../projections/reducers/types.js';

/** mulberry32: a tiny seeded generator, so a failing sequence is reproduced from its seed. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[int(0, list.length - 1)] as T;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}

export type Random = ReturnType<typeof random>;

const hex = (rnd: Random, n: number) => Array.from({ length: n }, () => rnd.int(0, 15).toString(16)).join('');
const uuid = (rnd: Random) => `${hex(rnd, 8)}-${hex(rnd, 4)}-4${hex(rnd, 3)}-8${hex(rnd, 3)}-${hex(rnd, 12)}`;

const RUN_IDS = ['run-a', 'run-b', 'run-c', 'run-d', 'run-e', 'run-f'];
const CURSORS = [
  'universe_index_daily_cursor_v1',
  'universe_daily_basic_cursor_v1',
  'universe_moneyflow_cursor_v1',
];
const APIS = ['stk_premarket', 'rt_min', 'fut_holding', 'daily'];
const GATES = ['foundation', 'p0', 'p1', 'p2', 'wave:index_daily'];
const PHASES = ['A', 'B', 'C', 'D', 'E'] as const;
const STATUSES = ['ok', 'partial', 'failed', 'abandoned'] as const;

const day = (rnd: Random) => `202601${String(rnd.int(1, 28)).padStart(2, '0')}`;

function stats(rnd: Random): ControlPayload<'RunFinished'>['stats'] {
  return {
    requests: rnd.int(0, 50),
    pages: rnd.int(0, 60),
    retries: rnd.int(0, 5),
    rowsFetched: rnd.int(0, 10_000),
    rowsEmitted: rnd.int(0, 10_000),
    errorsByClass: rnd.chance(0.5)
      ? {}
      : { [rnd.pick(['rate_limit', 'transient', 'permission'])]: rnd.int(1, 3) },
    durationMs: rnd.int(0, 100_000),
  };
}

function flags(rnd: Random, now: number): RolloutFlags {
  const out = { ...DEFAULT_FLAGS, updatedAt: now };
  for (const name of FLAG_NAMES) out[name] = rnd.chance(0.5);
  return out;
}

/** One valid payload of a random type; ids drawn from small pools so events meet each other. */
function randomEvent(rnd: Random, now: number, offset: number): ControlEvent {
  const envelope = { eventId: uuid(rnd), occurredAt: now, actor: rnd.pick(['producer', 'admin', 'reaper']) };
  const runId = rnd.pick(RUN_IDS);
  const kind = rnd.int(0, 13);
  const from = rnd.chance(0.8) ? day(rnd) : null;
  switch (kind) {
    case 0:
    case 1:
      return {
        ...envelope,
        type: 'RunStarted',
        payload: {
          runId,
          chain: rnd.pick(['main', 'index_daily', 'daily_basic']),
          batch: rnd.chance(0.7) ? rnd.pick(['p0', 'p1', 'p2']) : null,
          fromDate: from,
          toDate: from !== null && rnd.chance(0.7) ? from : null,
          heartbeatTimeoutMs: rnd.int(1, 120) * 1000,
        },
      };
    case 2:
    case 3:
      return { ...envelope, type: 'RunHeartbeat', payload: { runId, rowsSoFar: rnd.int(0, 5000) } };
    case 4:
      return {
        ...envelope,
        type: 'RunFinished',
        payload: {
          runId,
          status: rnd.pick(STATUSES),
          stats: stats(rnd),
          error: rnd.chance(0.5) ? null : 'boom',
        },
      };
    case 5:
      return {
        ...envelope,
        type: 'ModuleResult',
        payload: {
          runId,
          module: rnd.pick(['index_daily', 'daily_basic', 'moneyflow']),
          status: rnd.pick(STATUSES),
          blocking: rnd.chance(0.2),
          stats: stats(rnd),
          error: rnd.chance(0.5) ? null : 'permission',
        },
      };
    case 6:
    case 7:
      return {
        ...envelope,
        type: 'CursorAdvanced',
        payload: {
          cursor: rnd.pick(CURSORS),
          value: day(rnd),
          previous: null,
          runId: rnd.chance(0.5) ? runId : null,
        },
      };
    case 8:
      return {
        ...envelope,
        type: 'FlagsChanged',
        payload: {
          flags: flags(rnd, now),
          reason: `change ${offset}`,
          restoredFromOffset: rnd.chance(0.2) && offset > 0 ? rnd.int(0, offset - 1) : null,
        },
      };
    case 9:
      return {
        ...envelope,
        type: 'PermissionProbed',
        payload: {
          apiName: rnd.pick(APIS),
          passed: rnd.chance(0.5),
          tushareCode: rnd.chance(0.5) ? null : 40203,
          message: rnd.chance(0.5) ? null : 'no permission',
        },
      };
    case 10: {
      const at = rnd.int(0, 3);
      const valid = rnd.chance(0.7);
      return {
        ...envelope,
        type: 'PhaseAdvanced',
        payload: {
          from: PHASES[at] as 'A',
          to: PHASES[valid ? at + 1 : rnd.int(0, 4)] as 'B',
          gate: rnd.pick(GATES),
        },
      };
    }
    case 11: {
      const at = rnd.int(0, 4);
      return {
        ...envelope,
        type: 'PhaseFrozen',
        payload: {
          phase: PHASES[at] as 'A',
          reason: 'gate regressed',
          rolledBackTo: at > 0 && rnd.chance(0.8) ? (PHASES[at - 1] as 'A') : null,
        },
      };
    }
    case 12: {
      const passed = rnd.chance(0.5);
      return {
        ...envelope,
        type: 'GateEvaluated',
        payload: {
          gate: rnd.pick(GATES),
          passed,
          asOfTradeDate: rnd.chance(0.5) ? day(rnd) : null,
          cleanDays: rnd.int(0, 3),
          requiredDays: 3,
          failures: passed ? [] : ['clean_days_below_required'],
        },
      };
    }
    default:
      return {
        ...envelope,
        type: 'AlertRaised',
        payload: {
          alert: rnd.pick(['coverage', 'failure_rate']),
          severity: rnd.pick(['info', 'warning', 'critical'] as const),
          message: 'threshold crossed',
          value: rnd.chance(0.5) ? null : rnd.int(0, 100) / 100,
          threshold: rnd.chance(0.5) ? null : 0.95,
        },
      };
  }
}

/** A random valid control log: events with their offsets from 0 and times mostly moving forward. */
export function randomLog(seed: number, length: number, start = 1_767_225_600_000): LoggedEvent[] {
  const rnd = random(seed);
  let now = start;
  return Array.from({ length }, (_, offset) => {
    // Mostly forward, sometimes a little back: producers' clocks are not the log's order.
    now += rnd.chance(0.1) ? -rnd.int(0, 2_000) : rnd.int(0, 90_000);
    return { event: randomEvent(rnd, now, offset), meta: { offset, timestamp: start + offset * 1000 } };
  });
}

/** Wraps events into a log from offset 0 with one-second log timestamps. */
export function logOf(events: readonly ControlEvent[], start = 1_767_225_600_000): LoggedEvent[] {
  return events.map((event, offset) => ({ event, meta: { offset, timestamp: start + offset * 1000 } }));
}

/**
 * A random valid control log for fast-check: its seed and length. `randomLog(seed, n)` is a prefix
 * of `randomLog(seed, n + 1)`, so shrinking the length finds the shortest failing prefix, and the
 * counterexample fast-check prints (`{ seed, length }`) is the whole log in two numbers.
 */
export const controlLogs = (maxLength: number, minLength = 0) =>
  fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    length: fc.integer({ min: minLength, max: maxLength }),
  });

import { z } from 'zod';
import { RolloutFlagsV1 } from '../flags.js';

/**
 * The control events of DESIGN §4, defined once as zod schemas. Their Avro schema is derived from
 * these (contracts/avro), and every producer and projection validates against them.
 */

export const CONTROL_TOPIC = 'xasset.control.v1';

/** Tushare's trade-date format, kept as a string everywhere control events mention a day. */
const tradeDate = z.string().regex(/^\d{8}$/, 'YYYYMMDD');

export const RunStatus = z.enum(['ok', 'partial', 'failed', 'abandoned']).meta({ avroName: 'RunStatus' });
export const Phase = z.enum(['A', 'B', 'C', 'D', 'E']).meta({ avroName: 'Phase' });
export const Severity = z.enum(['info', 'warning', 'critical']).meta({ avroName: 'Severity' });

/** The unified run statistics every run reports, whatever it fetched. */
export const RunStats = z
  .object({
    requests: z.number().int().nonnegative(),
    pages: z.number().int().nonnegative(),
    retries: z.number().int().nonnegative(),
    rowsFetched: z.number().int().nonnegative(),
    rowsEmitted: z.number().int().nonnegative(),
    errorsByClass: z.record(z.string(), z.number().int().nonnegative()),
    durationMs: z.number().int().nonnegative(),
  })
  .meta({ avroName: 'RunStats' });

/** The symbol pool one endpoint of a run fetches, resolved once before the run starts. */
export const RunPool = z
  .object({
    apiName: z.string().min(1),
    /** The whole pool, sorted: what the configuration picks from the reference data (coverage is over it). */
    members: z.array(z.string()),
    /** The codes this run fetches: the whole pool, or the shards covered so far plus the next one. */
    codes: z.array(z.string()),
    /** The shard this run adds: fetched from the start of history rather than after the cursor. */
    backfill: z.array(z.string()),
  })
  .meta({ avroName: 'RunPool' });
export type RunPool = z.infer<typeof RunPool>;

export const RunStarted = z
  .object({
    runId: z.string().min(1),
    /** `main` for the main chain (blocking), or the recovery module's name (non-blocking). */
    chain: z.string().min(1),
    batch: z.string().nullable(),
    fromDate: tradeDate.nullable(),
    toDate: tradeDate.nullable(),
    heartbeatTimeoutMs: z.number().int().positive(),
    /** The pools the run planned with, so a replay knows what it was asked to fetch; absent: none. */
    pools: z.array(RunPool).nullish(),
    /**
     * Set when an operator ran this past the phase rules (`--force-phase`): why. Such a run never
     * counts for or against a gate; absent: the phase rules applied.
     */
    forcePhase: z.string().min(1).nullish(),
  })
  .meta({ avroName: 'RunStarted' });

export const RunHeartbeat = z
  .object({ runId: z.string().min(1), rowsSoFar: z.number().int().nonnegative() })
  .meta({ avroName: 'RunHeartbeat' });

export const RunFinished = z
  .object({
    runId: z.string().min(1),
    status: RunStatus,
    stats: RunStats,
    error: z.string().nullable(),
  })
  .meta({ avroName: 'RunFinished' });

export const ModuleResult = z
  .object({
    runId: z.string().min(1),
    module: z.string().min(1),
    status: RunStatus,
    /** Recovery modules never block the main chain; this records that decision with the result. */
    blocking: z.boolean(),
    stats: RunStats,
    error: z.string().nullable(),
  })
  .meta({ avroName: 'ModuleResult' });

export const CursorAdvanced = z
  .object({
    cursor: z.string().min(1),
    value: z.string().min(1),
    previous: z.string().nullable(),
    runId: z.string().nullable(),
  })
  .meta({ avroName: 'CursorAdvanced' });

/** Flags as carried on the wire: the roadmap's object, derived from the one zod definition. */
export const FlagsState = RolloutFlagsV1.meta({ avroName: 'RolloutFlagsV1' });

export const FlagsChanged = z
  .object({
    flags: FlagsState,
    reason: z.string().min(1),
    /** Set when this change restores the state found at an earlier control-log offset. */
    restoredFromOffset: z.number().int().nonnegative().nullable(),
  })
  .meta({ avroName: 'FlagsChanged' });

export const PermissionProbed = z
  .object({
    apiName: z.string().min(1),
    passed: z.boolean(),
    tushareCode: z.number().int().nullable(),
    message: z.string().nullable(),
  })
  .meta({ avroName: 'PermissionProbed' });

export const PhaseAdvanced = z
  .object({ from: Phase, to: Phase, gate: z.string().min(1) })
  .meta({ avroName: 'PhaseAdvanced' });

export const PhaseFrozen = z
  .object({ phase: Phase, reason: z.string().min(1), rolledBackTo: Phase.nullable() })
  .meta({ avroName: 'PhaseFrozen' });

export const GateEvaluated = z
  .object({
    gate: z.string().min(1),
    passed: z.boolean(),
    asOfTradeDate: tradeDate.nullable(),
    cleanDays: z.number().int().nonnegative(),
    requiredDays: z.number().int().positive(),
    /** The failing conditions, as stable condition codes, empty when passed. */
    failures: z.array(z.string()),
  })
  .meta({ avroName: 'GateEvaluated' });

export const AlertRaised = z
  .object({
    alert: z.string().min(1),
    severity: Severity,
    message: z.string().min(1),
    value: z.number().nullable(),
    threshold: z.number().nullable(),
  })
  .meta({ avroName: 'AlertRaised' });

/**
 * A limit Tushare stated in a refusal (`每分钟最多访问该接口N次`, or the hour and day quotas): the
 * budget of one token and endpoint. The token appears only as a hash (producers/tushare/budget.ts).
 */
export const CallBudgetLearned = z
  .object({
    tokenHash: z.string().min(1),
    apiName: z.string().min(1),
    window: z.enum(['minute', 'hour', 'day']).meta({ avroName: 'RateWindow' }),
    limit: z.number().int().positive(),
    /** Hour and day quotas: no call before this (ms since the epoch); null for the minute limit. */
    blockedUntil: z.number().int().nonnegative().nullable(),
  })
  .meta({ avroName: 'CallBudgetLearned' });

/**
 * An operator re-anchored a consumer's stored position on a partition, after the log went backwards
 * under it (topic recreated, records deleted by retention): the one way a position moves other
 * than by processing, so it is recorded with who, why and what the log held at the time.
 */
export const OffsetsReset = z
  .object({
    consumer: z.string().min(1),
    topic: z.string().min(1),
    partition: z.number().int().nonnegative(),
    /** The stored position before; null when the consumer had never stored one. */
    previous: z.number().int().nonnegative().nullable(),
    offset: z.number().int().nonnegative(),
    logStart: z.number().int().nonnegative(),
    logEnd: z.number().int().nonnegative(),
    reason: z.string().min(1),
  })
  .meta({ avroName: 'OffsetsReset' });

/**
 * An alert whose condition stopped holding is closed. Logs written before this event closed an
 * alert with an AlertRaised of severity `info` and a message starting `resolved:`; the alerts
 * projection still reads those as closes.
 */
export const AlertResolved = z
  .object({
    alert: z.string().min(1),
    message: z.string().min(1),
    /** The AlertRaised this closes; null when none is on record (a close of an alert never raised). */
    raisedAtOffset: z.number().int().nonnegative().nullable(),
  })
  .meta({ avroName: 'AlertResolved' });

/**
 * A freeze lifted: the gate whose regression froze the phases holds again. Logs written before this
 * event lifted a freeze only by the next PhaseAdvanced; the phases projection still reads that so.
 */
export const PhaseUnfrozen = z
  .object({
    phase: Phase,
    reason: z.string().min(1),
    /** The gate that holds again (the frozen phase's exit gate). */
    gate: z.string().min(1),
  })
  .meta({ avroName: 'PhaseUnfrozen' });

/**
 * A P2 module moved on the gray-release ladder (contracts/gray.ts): started at `probe`, promoted a
 * step when its gate held, stepped back when it failed (the same failure switches the module off
 * with a FlagsChanged), or set by an operator. The evidence is kept with the step.
 */
export const GrayStageChanged = z
  .object({
    module: z.string().min(1),
    /** Null for the module's first stage. */
    from: z.string().min(1).nullable(),
    to: z.string().min(1),
    action: z.enum(['start', 'promote', 'rollback', 'set']).meta({ avroName: 'GrayAction' }),
    /** The share of the module's pool the new stage fetches, 0 to 1 (an allow-list canary: 0). */
    share: z.number().min(0).max(1),
    allowList: z.array(z.string()),
    reason: z.string().min(1),
    /** The module gate's failing conditions (rollback) or empty (promotion on a passed gate). */
    evidence: z.array(z.string()),
  })
  .meta({ avroName: 'GrayStageChanged' });

/**
 * Every payload by its event type; the order is the Avro union's order, so only append to it
 * (contracts/avro/schemas.ts keeps every shorter union, for the records written with it).
 */
export const CONTROL_PAYLOADS = {
  RunStarted,
  RunHeartbeat,
  RunFinished,
  ModuleResult,
  CursorAdvanced,
  FlagsChanged,
  PermissionProbed,
  PhaseAdvanced,
  PhaseFrozen,
  GateEvaluated,
  AlertRaised,
  CallBudgetLearned,
  OffsetsReset,
  AlertResolved,
  PhaseUnfrozen,
  GrayStageChanged,
} as const;

export type ControlEventType = keyof typeof CONTROL_PAYLOADS;
export type ControlPayload<T extends ControlEventType> = z.infer<(typeof CONTROL_PAYLOADS)[T]>;

const envelopeOf = <T extends ControlEventType>(type: T) =>
  z.object({
    eventId: z.string().uuid(),
    type: z.literal(type),
    occurredAt: z.number().int().nonnegative(),
    actor: z.string().min(1),
    payload: CONTROL_PAYLOADS[type],
  });

/** A control event as the application handles it: a discriminated union on `type`. */
export const ControlEvent = z.discriminatedUnion(
  'type',
  Object.keys(CONTROL_PAYLOADS).map((type) => envelopeOf(type as ControlEventType)) as unknown as [
    ReturnType<typeof envelopeOf<'RunStarted'>>,
    ...ReturnType<typeof envelopeOf<ControlEventType>>[],
  ],
);

export type ControlEvent = {
  [T in ControlEventType]: {
    eventId: string;
    type: T;
    occurredAt: number;
    actor: string;
    payload: ControlPayload<T>;
  };
}[ControlEventType];

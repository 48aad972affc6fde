import type { PoolClient } from 'pg';
import { ValidationError } from '../../contracts/errors.js';
import { DEFAULT_FLAGS } from '../../contracts/flags.js';
import type { AlertEntry, AlertsState } from '../reducers/alerts.js';
import type { BudgetEntry, BudgetsState } from '../reducers/budgets.js';
import type { ControlState, ProjectionName } from '../reducers/control.js';
import type { CursorEntry, CursorsState } from '../reducers/cursors.js';
import type { FlagsHistoryEntry, FlagsState } from '../reducers/flags.js';
import type { GateEntry, GatesState } from '../reducers/gates.js';
import type { GrayEntry, GrayHistoryEntry, GrayHistoryState, GrayState } from '../reducers/gray.js';
import type { PhaseChange, PhaseHistoryState, ProbeHistoryState } from '../reducers/history.js';
import type { Phase, PhasesState } from '../reducers/phases.js';
import type { ProbeEntry, ProbesState } from '../reducers/probes.js';
import type { RunEntry, RunsState } from '../reducers/runs.js';

type ColumnType =
  | 'text'
  | 'bigint'
  | 'integer'
  | 'boolean'
  | 'double precision'
  | 'timestamptz'
  | 'date'
  | 'jsonb';

interface Column {
  name: string;
  type: ColumnType;
}

export type Row = Record<string, unknown>;

/**
 * How one projection's state lies in its table: a row per entry, keyed by the primary key. Reducers
 * share unchanged entries between states, so a changed row is one whose entry is a new object.
 * Times are ms in state and timestamptz in the table, trade dates YYYYMMDD and `date`.
 */
export interface TableSpec<S, E> {
  projection: ProjectionName;
  table: string;
  key: string;
  columns: readonly Column[];
  /** The state's own entry objects by key (never copies: identity is the change test). */
  entries(state: S): Map<string, E>;
  toRow(key: string, entry: E): unknown[];
  /** One row as `selectList` reads it back into its entry. */
  fromRow(row: Row): E;
  /** The state holding exactly these entries (by key). */
  toState(entries: [string, E][]): S;
}

const col = (name: string, type: ColumnType): Column => ({ name, type });
const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null ? null : Number(value));
const str = (value: unknown): string => value as string;
const strOrNull = (value: unknown): string | null => value as string | null;
const byOffset = <E extends { offset: number }>(list: readonly E[]) =>
  new Map(list.map((entry) => [String(entry.offset), entry]));
const inOffsetOrder = <E extends { offset: number }>(entries: [string, E][]): E[] =>
  entries.map(([, entry]) => entry).sort((a, b) => a.offset - b.offset);

const cursors: TableSpec<CursorsState, CursorEntry> = {
  projection: 'cursors',
  table: 'cursor_state',
  key: 'cursor',
  columns: [
    col('cursor', 'text'),
    col('value', 'text'),
    col('run_id', 'text'),
    col('advanced_offset', 'bigint'),
    col('advanced_at', 'timestamptz'),
  ],
  entries: (state) => new Map(Object.entries(state.cursors)),
  toRow: (cursor, e) => [cursor, e.value, e.runId, e.offset, e.at],
  fromRow: (r) => ({
    value: str(r.value),
    runId: strOrNull(r.run_id),
    offset: num(r.advanced_offset),
    at: num(r.advanced_at),
  }),
  // Ignored regressions are not state anyone reads back: the policy alerts them from the log.
  toState: (entries) => ({ cursors: Object.fromEntries(entries), regressions: [] }),
};

const runs: TableSpec<RunsState, RunEntry> = {
  projection: 'runs',
  table: 'ingest_runs',
  key: 'run_id',
  columns: [
    col('run_id', 'text'),
    col('chain', 'text'),
    col('batch', 'text'),
    col('status', 'text'),
    col('from_date', 'date'),
    col('to_date', 'date'),
    col('started_at', 'timestamptz'),
    col('last_heartbeat', 'timestamptz'),
    col('finished_at', 'timestamptz'),
    col('heartbeat_timeout_ms', 'bigint'),
    col('stats', 'jsonb'),
    col('module_results', 'jsonb'),
    col('error', 'text'),
    col('started_offset', 'bigint'),
    col('rows_so_far', 'bigint'),
    col('force_phase', 'text'),
  ],
  entries: (state) => new Map(Object.entries(state.runs)),
  toRow: (runId, e) => [
    runId,
    e.chain,
    e.batch,
    e.status,
    e.fromDate,
    e.toDate,
    e.startedAt,
    e.lastHeartbeat,
    e.finishedAt,
    e.heartbeatTimeoutMs,
    e.stats,
    e.moduleResults,
    e.error,
    e.startedOffset,
    e.rowsSoFar,
    e.forcePhase,
  ],
  fromRow: (r) => ({
    runId: str(r.run_id),
    chain: str(r.chain),
    batch: strOrNull(r.batch),
    status: r.status as RunEntry['status'],
    fromDate: strOrNull(r.from_date),
    toDate: strOrNull(r.to_date),
    startedAt: num(r.started_at),
    lastHeartbeat: num(r.last_heartbeat),
    finishedAt: numOrNull(r.finished_at),
    heartbeatTimeoutMs: num(r.heartbeat_timeout_ms),
    rowsSoFar: num(r.rows_so_far),
    stats: r.stats as RunEntry['stats'],
    moduleResults: r.module_results as RunEntry['moduleResults'],
    error: strOrNull(r.error),
    startedOffset: num(r.started_offset),
    forcePhase: strOrNull(r.force_phase),
  }),
  toState: (entries) => ({ runs: Object.fromEntries(entries) }),
};

const flags: TableSpec<FlagsState, FlagsHistoryEntry> = {
  projection: 'flags',
  table: 'flags_history',
  key: 'control_offset',
  columns: [
    col('control_offset', 'bigint'),
    col('flags', 'jsonb'),
    col('actor', 'text'),
    col('reason', 'text'),
    col('restored_from_offset', 'bigint'),
    col('changed_at', 'timestamptz'),
  ],
  entries: (state) => byOffset(state.history),
  toRow: (_, e) => [e.offset, e.flags, e.actor, e.reason, e.restoredFromOffset, e.at],
  fromRow: (r) => ({
    offset: num(r.control_offset),
    flags: r.flags as FlagsHistoryEntry['flags'],
    actor: str(r.actor),
    reason: str(r.reason),
    restoredFromOffset: numOrNull(r.restored_from_offset),
    at: num(r.changed_at),
  }),
  toState: (entries) => {
    const history = inOffsetOrder(entries);
    const last = history.at(-1);
    return { current: last?.flags ?? DEFAULT_FLAGS, offset: last?.offset ?? null, history };
  },
};

const INITIAL_PHASE: PhasesState = { phase: 'A', frozen: false, frozenReason: null, offset: null, at: null };

const phases: TableSpec<PhasesState, PhasesState> = {
  projection: 'phases',
  table: 'phase_state',
  key: 'singleton',
  columns: [
    col('singleton', 'boolean'),
    col('current_phase', 'text'),
    col('frozen', 'boolean'),
    col('frozen_reason', 'text'),
    col('changed_offset', 'bigint'),
    col('changed_at', 'timestamptz'),
  ],
  // No row until a phase event: the table then says "never moved", and the state is the initial A.
  entries: (state) => new Map(state.offset === null ? [] : [['true', state]]),
  toRow: (_, e) => [true, e.phase, e.frozen, e.frozenReason, e.offset, e.at],
  fromRow: (r) => ({
    phase: r.current_phase as Phase,
    frozen: r.frozen as boolean,
    frozenReason: strOrNull(r.frozen_reason),
    offset: num(r.changed_offset),
    at: num(r.changed_at),
  }),
  toState: (entries) => entries[0]?.[1] ?? INITIAL_PHASE,
};

const gates: TableSpec<GatesState, GateEntry> = {
  projection: 'gates',
  table: 'gate_evaluation',
  key: 'control_offset',
  columns: [
    col('control_offset', 'bigint'),
    col('gate', 'text'),
    col('passed', 'boolean'),
    col('as_of_trade_date', 'date'),
    col('clean_days', 'integer'),
    col('required_days', 'integer'),
    col('failures', 'jsonb'),
    col('evaluated_at', 'timestamptz'),
  ],
  entries: (state) => byOffset(state.history),
  toRow: (_, e) => [
    e.offset,
    e.gate,
    e.passed,
    e.asOfTradeDate,
    e.cleanDays,
    e.requiredDays,
    e.failures,
    e.at,
  ],
  fromRow: (r) => ({
    offset: num(r.control_offset),
    gate: str(r.gate),
    passed: r.passed as boolean,
    asOfTradeDate: strOrNull(r.as_of_trade_date),
    cleanDays: num(r.clean_days),
    requiredDays: num(r.required_days),
    failures: r.failures as string[],
    at: num(r.evaluated_at),
  }),
  toState: (entries) => {
    const history = inOffsetOrder(entries);
    return { latest: Object.fromEntries(history.map((g) => [g.gate, g])), history };
  },
};

const probes: TableSpec<ProbesState, ProbeEntry> = {
  projection: 'probes',
  table: 'permission_probe',
  key: 'api_name',
  columns: [
    col('api_name', 'text'),
    col('passed', 'boolean'),
    col('tushare_code', 'integer'),
    col('message', 'text'),
    col('probed_offset', 'bigint'),
    col('probed_at', 'timestamptz'),
  ],
  entries: (state) => new Map(Object.entries(state.probes)),
  toRow: (apiName, e) => [apiName, e.passed, e.tushareCode, e.message, e.offset, e.at],
  fromRow: (r) => ({
    apiName: str(r.api_name),
    passed: r.passed as boolean,
    tushareCode: numOrNull(r.tushare_code),
    message: strOrNull(r.message),
    offset: num(r.probed_offset),
    at: num(r.probed_at),
  }),
  toState: (entries) => ({ probes: Object.fromEntries(entries) }),
};

const alerts: TableSpec<AlertsState, AlertEntry> = {
  projection: 'alerts',
  table: 'alert',
  key: 'control_offset',
  columns: [
    col('control_offset', 'bigint'),
    col('alert', 'text'),
    col('severity', 'text'),
    col('message', 'text'),
    col('value', 'double precision'),
    col('threshold', 'double precision'),
    col('raised_at', 'timestamptz'),
    col('kind', 'text'),
  ],
  entries: (state) => byOffset(state.alerts),
  toRow: (_, e) => [e.offset, e.alert, e.severity, e.message, e.value, e.threshold, e.at, e.kind],
  fromRow: (r) => ({
    offset: num(r.control_offset),
    alert: str(r.alert),
    kind: r.kind as AlertEntry['kind'],
    severity: r.severity as AlertEntry['severity'],
    message: str(r.message),
    value: numOrNull(r.value),
    threshold: numOrNull(r.threshold),
    at: num(r.raised_at),
  }),
  toState: (entries) => ({ alerts: inOffsetOrder(entries) }),
};

const budgets: TableSpec<BudgetsState, BudgetEntry> = {
  projection: 'budgets',
  table: 'tushare_budget',
  key: 'budget_key',
  columns: [
    col('budget_key', 'text'),
    col('token_hash', 'text'),
    col('api_name', 'text'),
    col('rate_window', 'text'),
    col('call_limit', 'integer'),
    col('blocked_until', 'timestamptz'),
    col('learned_offset', 'bigint'),
    col('learned_at', 'timestamptz'),
  ],
  entries: (state) => new Map(Object.entries(state.budgets)),
  toRow: (key, e) => [key, e.tokenHash, e.apiName, e.window, e.limit, e.blockedUntil, e.offset, e.at],
  fromRow: (r) => ({
    tokenHash: str(r.token_hash),
    apiName: str(r.api_name),
    window: r.rate_window as BudgetEntry['window'],
    limit: num(r.call_limit),
    blockedUntil: numOrNull(r.blocked_until),
    offset: num(r.learned_offset),
    at: num(r.learned_at),
  }),
  toState: (entries) => ({ budgets: Object.fromEntries(entries) }),
};

const gray: TableSpec<GrayState, GrayEntry> = {
  projection: 'gray',
  table: 'gray_stage',
  key: 'module',
  columns: [
    col('module', 'text'),
    col('stage', 'text'),
    col('previous_stage', 'text'),
    col('action', 'text'),
    col('share', 'double precision'),
    col('allow_list', 'jsonb'),
    col('reason', 'text'),
    col('evidence', 'jsonb'),
    col('stage_offset', 'bigint'),
    col('changed_at', 'timestamptz'),
  ],
  entries: (state) => new Map(Object.entries(state.modules)),
  toRow: (module, e) => [
    module,
    e.stage,
    e.previous,
    e.action,
    e.share,
    e.allowList,
    e.reason,
    e.evidence,
    e.offset,
    e.at,
  ],
  fromRow: (r) => ({
    module: str(r.module),
    stage: str(r.stage) as GrayEntry['stage'],
    previous: strOrNull(r.previous_stage) as GrayEntry['previous'],
    action: r.action as GrayEntry['action'],
    share: num(r.share),
    allowList: r.allow_list as string[],
    reason: str(r.reason),
    evidence: r.evidence as string[],
    offset: num(r.stage_offset),
    at: num(r.changed_at),
  }),
  toState: (entries) => ({ modules: Object.fromEntries(entries) }),
};

const phaseHistory: TableSpec<PhaseHistoryState, PhaseChange> = {
  projection: 'phaseHistory',
  table: 'phase_history',
  key: 'control_offset',
  columns: [
    col('control_offset', 'bigint'),
    col('current_phase', 'text'),
    col('frozen', 'boolean'),
    col('frozen_reason', 'text'),
    col('changed_at', 'timestamptz'),
  ],
  entries: (state) => byOffset(state.history),
  toRow: (_, e) => [e.offset, e.phase, e.frozen, e.frozenReason, e.at],
  fromRow: (r) => ({
    offset: num(r.control_offset),
    phase: r.current_phase as Phase,
    frozen: r.frozen as boolean,
    frozenReason: strOrNull(r.frozen_reason),
    at: num(r.changed_at),
  }),
  toState: (entries) => {
    const history = inOffsetOrder(entries);
    const last = history.at(-1);
    return { current: last ? { ...last } : INITIAL_PHASE, history };
  },
};

const probeHistory: TableSpec<ProbeHistoryState, ProbeEntry> = {
  projection: 'probeHistory',
  table: 'probe_history',
  key: 'control_offset',
  columns: [
    col('control_offset', 'bigint'),
    col('api_name', 'text'),
    col('passed', 'boolean'),
    col('tushare_code', 'integer'),
    col('message', 'text'),
    col('probed_at', 'timestamptz'),
  ],
  entries: (state) => byOffset(state.history),
  toRow: (_, e) => [e.offset, e.apiName, e.passed, e.tushareCode, e.message, e.at],
  fromRow: (r) => ({
    offset: num(r.control_offset),
    apiName: str(r.api_name),
    passed: r.passed as boolean,
    tushareCode: numOrNull(r.tushare_code),
    message: strOrNull(r.message),
    at: num(r.probed_at),
  }),
  toState: (entries) => ({ history: inOffsetOrder(entries) }),
};

const grayHistory: TableSpec<GrayHistoryState, GrayHistoryEntry> = {
  projection: 'grayHistory',
  table: 'gray_stage_history',
  key: 'control_offset',
  columns: [
    col('control_offset', 'bigint'),
    col('module', 'text'),
    col('stage', 'text'),
    col('share', 'double precision'),
    col('allow_list', 'jsonb'),
    col('changed_at', 'timestamptz'),
  ],
  entries: (state) => byOffset(state.history),
  toRow: (_, e) => [e.offset, e.module, e.stage, e.share, e.allowList, e.at],
  fromRow: (r) => ({
    offset: num(r.control_offset),
    module: str(r.module),
    stage: str(r.stage) as GrayHistoryEntry['stage'],
    share: num(r.share),
    allowList: r.allow_list as string[],
    at: num(r.changed_at),
  }),
  toState: (entries) => ({ history: inOffsetOrder(entries) }),
};

/** Every projection's table. */
export const TABLES: { readonly [K in ProjectionName]: TableSpec<ControlState[K], unknown> } = {
  cursors,
  runs,
  flags,
  phases,
  gates,
  probes,
  alerts,
  budgets,
  gray,
  phaseHistory,
  probeHistory,
  grayHistory,
} as { [K in ProjectionName]: TableSpec<ControlState[K], unknown> };

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** A table name in `schema` (or on the search path); schema names are plain lower-case identifiers. */
export function qualified(table: string, schema?: string): string {
  if (schema === undefined) return `"${table}"`;
  if (!IDENTIFIER.test(schema)) {
    throw new ValidationError('schema name', [{ path: 'schema', message: 'a lower-case identifier' }]);
  }
  return `"${schema}"."${table}"`;
}

/** Reads times as epoch ms and dates as YYYYMMDD, the forms the state holds. */
export function selectList(spec: TableSpec<unknown, unknown>): string {
  return spec.columns
    .map(({ name, type }) => {
      if (type === 'timestamptz') return `(extract(epoch FROM "${name}") * 1000)::bigint AS "${name}"`;
      if (type === 'date') return `to_char("${name}", 'YYYYMMDD') AS "${name}"`;
      return `"${name}"`;
    })
    .join(', ');
}

function encode(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'timestamptz') return new Date(value as number).toISOString();
  if (type === 'jsonb') return JSON.stringify(value);
  return value;
}

type Queryable = Pick<PoolClient, 'query'>;

/** Loads one projection's state from its table. */
export async function loadState<K extends ProjectionName>(
  client: Queryable,
  projection: K,
  schema?: string,
): Promise<ControlState[K]> {
  const spec = TABLES[projection] as TableSpec<ControlState[K], unknown>;
  const { rows } = await client.query<Row>(
    `SELECT ${selectList(spec as TableSpec<unknown, unknown>)} FROM ${qualified(spec.table, schema)}`,
  );
  return spec.toState(rows.map((row) => [String(row[spec.key]), spec.fromRow(row)]));
}

/**
 * Writes what changed between two states of one projection: upserts of new or changed entries and
 * deletes of vanished ones, each one statement whatever the number of rows.
 */
export async function writeChanges<K extends ProjectionName>(
  client: Queryable,
  projection: K,
  before: ControlState[K],
  after: ControlState[K],
  schema?: string,
): Promise<number> {
  if (before === after) return 0;
  const spec = TABLES[projection] as TableSpec<ControlState[K], unknown>;
  const old = spec.entries(before);
  const now = spec.entries(after);
  const changed = [...now].filter(([key, entry]) => old.get(key) !== entry);
  const gone = [...old.keys()].filter((key) => !now.has(key));
  const table = qualified(spec.table, schema);
  const keyType = spec.columns.find((c) => c.name === spec.key)?.type ?? 'text';
  if (gone.length > 0) {
    await client.query(`DELETE FROM ${table} WHERE "${spec.key}" = ANY($1::${keyType}[])`, [gone]);
  }
  if (changed.length > 0) {
    const rows = changed.map(([key, entry]) => spec.toRow(key, entry));
    const names = spec.columns.map((c) => `"${c.name}"`).join(', ');
    const arrays = spec.columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
    const updates = spec.columns
      .filter((c) => c.name !== spec.key)
      .map((c) => `"${c.name}" = EXCLUDED."${c.name}"`)
      .join(', ');
    await client.query(
      `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${arrays})
       ON CONFLICT ("${spec.key}") DO UPDATE SET ${updates}`,
      spec.columns.map((c, i) => rows.map((row) => encode(c.type, row[i]))),
    );
  }
  return changed.length + gone.length;
}

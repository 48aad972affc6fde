import type { Pool } from 'pg';
import { NotFoundError } from '../../../contracts/errors.js';
import { effectiveFlags, type RolloutFlags } from '../../../contracts/flags.js';
import type { AlertEntry } from '../../../projections/reducers/alerts.js';
import type { ProjectionName } from '../../../projections/reducers/control.js';
import type { CursorEntry } from '../../../projections/reducers/cursors.js';
import type { FlagsHistoryEntry } from '../../../projections/reducers/flags.js';
import type { GateEntry } from '../../../projections/reducers/gates.js';
import type { PhasesState } from '../../../projections/reducers/phases.js';
import type { ProbeEntry } from '../../../projections/reducers/probes.js';
import type { RunEntry, RunStatusView } from '../../../projections/reducers/runs.js';
import { type Row, selectList, TABLES, type TableSpec } from '../../../projections/store/tables.js';

/**
 * The projection tables read back in the shapes the reducers fold (times in ms, trade dates
 * YYYYMMDD), through the product's own table specs, so tests can compare what the runner stored
 * with a fold. The product's read side is projections/api/pg-reader.ts. Tables are found on the
 * pool's search path.
 */
type Queryable = Pick<Pool, 'query'>;

async function select<E>(
  pool: Queryable,
  spec: TableSpec<unknown, E>,
  tail: string,
  params: unknown[] = [],
): Promise<E[]> {
  const { rows } = await pool.query<Row>(`SELECT ${selectList(spec)} FROM "${spec.table}" ${tail}`, params);
  return rows.map((row) => spec.fromRow(row));
}

const spec = <K extends ProjectionName, E>(name: K) => TABLES[name] as unknown as TableSpec<unknown, E>;
const limitOf = (limit: number | undefined, fallback: number) =>
  Math.max(1, Math.min(Math.trunc(limit ?? fallback), 10_000));

export interface RunFilter {
  status?: RunStatusView | readonly RunStatusView[];
  chain?: string;
  batch?: string;
  /** Runs whose date range reaches this trade date or later (YYYYMMDD). */
  fromDate?: string;
  /** Runs whose date range starts on or before this trade date (YYYYMMDD). */
  toDate?: string;
  /** Newest first; 100 by default. */
  limit?: number;
}

/** Runs, newest (by control offset of their RunStarted) first. */
export async function readRuns(pool: Queryable, filter: RunFilter = {}): Promise<RunEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (filter.status !== undefined) {
    add((n) => `status = ANY(${n}::text[])`, Array.isArray(filter.status) ? filter.status : [filter.status]);
  }
  if (filter.chain !== undefined) add((n) => `chain = ${n}`, filter.chain);
  if (filter.batch !== undefined) add((n) => `batch = ${n}`, filter.batch);
  if (filter.fromDate !== undefined)
    add((n) => `coalesce(to_date, from_date) >= ${n}::date`, filter.fromDate);
  if (filter.toDate !== undefined) add((n) => `coalesce(from_date, to_date) <= ${n}::date`, filter.toDate);
  params.push(limitOf(filter.limit, 100));
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  return select(
    pool,
    spec<'runs', RunEntry>('runs'),
    `${clause} ORDER BY started_offset DESC LIMIT $${params.length}`,
    params,
  );
}

export async function readRun(pool: Queryable, runId: string): Promise<RunEntry> {
  const [run] = await select(pool, spec<'runs', RunEntry>('runs'), 'WHERE run_id = $1', [runId]);
  if (!run) throw new NotFoundError('run', runId);
  return run;
}

export type CursorView = CursorEntry & { cursor: string };

export async function readCursors(pool: Queryable): Promise<CursorView[]> {
  const { rows } = await pool.query<Row>(
    `SELECT ${selectList(spec('cursors'))} FROM "cursor_state" ORDER BY cursor`,
  );
  const cursors = spec<'cursors', CursorEntry>('cursors');
  return rows.map((row) => ({ cursor: String(row.cursor), ...cursors.fromRow(row) }));
}

export interface FlagsView {
  /** As stored: what the last FlagsChanged set (the defaults before any). */
  stored: RolloutFlags;
  /** In force: p2 sub-switches off while p2Enabled is off. */
  effective: RolloutFlags;
  /** Offset of the FlagsChanged in force; null while the defaults are. */
  offset: number | null;
}

export async function readFlags(pool: Queryable): Promise<FlagsView> {
  const [last] = await select(
    pool,
    spec<'flags', FlagsHistoryEntry>('flags'),
    'ORDER BY control_offset DESC LIMIT 1',
  );
  const state = TABLES.flags.toState(last ? [[String(last.offset), last]] : []);
  return { stored: state.current, effective: effectiveFlags(state.current), offset: state.offset };
}

/** Every flags change, newest first. */
export async function readFlagsHistory(
  pool: Queryable,
  options: { limit?: number } = {},
): Promise<FlagsHistoryEntry[]> {
  return select(pool, spec<'flags', FlagsHistoryEntry>('flags'), 'ORDER BY control_offset DESC LIMIT $1', [
    limitOf(options.limit, 100),
  ]);
}

/** The latest probe per api_name. */
export async function readProbes(pool: Queryable): Promise<ProbeEntry[]> {
  return select(pool, spec<'probes', ProbeEntry>('probes'), 'ORDER BY api_name');
}

export async function readPhase(pool: Queryable): Promise<PhasesState> {
  const rows = await select(pool, spec<'phases', PhasesState>('phases'), '');
  return TABLES.phases.toState(rows.map((row) => ['true', row]));
}

/** The latest evaluation of each gate. */
export async function readGates(pool: Queryable): Promise<GateEntry[]> {
  return select(
    pool,
    spec<'gates', GateEntry>('gates'),
    `WHERE control_offset IN (SELECT max(control_offset) FROM "gate_evaluation" GROUP BY gate) ORDER BY gate`,
  );
}

/** Evaluations, newest first, of one gate or all. */
export async function readGateHistory(
  pool: Queryable,
  options: { gate?: string; limit?: number } = {},
): Promise<GateEntry[]> {
  const params: unknown[] = [limitOf(options.limit, 100)];
  if (options.gate !== undefined) params.push(options.gate);
  const where = options.gate !== undefined ? 'WHERE gate = $2' : '';
  return select(
    pool,
    spec<'gates', GateEntry>('gates'),
    `${where} ORDER BY control_offset DESC LIMIT $1`,
    params,
  );
}

/** Alerts, newest first. */
export async function readAlerts(
  pool: Queryable,
  options: {
    alert?: string;
    severity?: AlertEntry['severity'];
    kind?: AlertEntry['kind'];
    limit?: number;
  } = {},
): Promise<AlertEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [limitOf(options.limit, 100)];
  if (options.alert !== undefined) {
    params.push(options.alert);
    where.push(`alert = $${params.length}`);
  }
  if (options.severity !== undefined) {
    params.push(options.severity);
    where.push(`severity = $${params.length}`);
  }
  if (options.kind !== undefined) {
    params.push(options.kind);
    where.push(`kind = $${params.length}`);
  }
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  return select(
    pool,
    spec<'alerts', AlertEntry>('alerts'),
    `${clause} ORDER BY control_offset DESC LIMIT $1`,
    params,
  );
}

/** Where each projection stands in the control log (next offset to fold); 0 for one never run. */
export async function readCheckpoints(pool: Queryable): Promise<Record<ProjectionName, number>> {
  const { rows } = await pool.query<{ projection: string; next_offset: number }>(
    'SELECT projection, next_offset FROM projection_checkpoint',
  );
  const stored = new Map(rows.map((r) => [r.projection, Number(r.next_offset)]));
  return Object.fromEntries(
    (Object.keys(TABLES) as ProjectionName[]).map((name) => [name, stored.get(name) ?? 0]),
  ) as Record<ProjectionName, number>;
}

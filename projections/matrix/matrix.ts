import { datesBetween, isYmd, weekday } from '../../contracts/dates.js';
import { ValidationError } from '../../contracts/errors.js';
import type { FlagName, RolloutFlags } from '../../contracts/flags.js';
import type { PhaseRecord } from '../policy/switches.js';
import type { PhaseChange } from '../reducers/history.js';
import type { ProbeEntry } from '../reducers/probes.js';
import { type FlagsChange, type FlagsOnDate, flagsOn, type PhaseOnDate, phaseOn, probeOn } from './as-of.js';
import {
  type CellStatus,
  classifyCell,
  type MatrixCell,
  type MatrixSummary,
  type PublicationState,
  publicationOf,
  summarize,
} from './cell.js';
import { MATRIX_MODULES, type MatrixModule, matrixModule, moduleSwitch, switchesInForce } from './modules.js';
import {
  type MatrixPools,
  type Queryable,
  readMissingSample,
  readRevisions,
  readSymbolCells,
  readUniverseCounts,
  readUnknownCodes,
} from './sql.js';

export type { MatrixPools } from './sql.js';

/** A range this long is a report, not a status page; longer asks are refused. */
export const MAX_MATRIX_DAYS = 366;
export const MAX_MATRIX_TARGETS = 200;
export const MISSING_SAMPLE_SIZE = 20;

export interface MatrixQuery {
  /** `universe` (every listed instrument) or ts_codes. */
  target: 'universe' | readonly string[];
  /** api_names of daily market endpoints; all of them by default. */
  modules?: readonly string[];
  /** YYYYMMDD, both included. */
  from: string;
  to: string;
  /** The stored flags: a module switched off is not applicable. */
  flags: RolloutFlags;
  /**
   * Every flags change (the flags projection): when given, each trade date is judged by the flags
   * in force on it (flags-as-of.ts), not by `flags`.
   */
  flagsHistory?: readonly FlagsChange[];
  /** The phase record: a module its phase has not opened (or a freeze shut) is not applicable (`phase`). */
  phase: PhaseRecord;
  /** The trading calendar the exchange-traded modules follow (default SSE). */
  calendarExchange?: string;
  /** Modules measured against a symbol pool rather than the whole listed universe. */
  pools?: MatrixPools;
}

export interface Matrix {
  cells: MatrixCell[];
  summary: MatrixSummary;
}

function validate(query: MatrixQuery): { modules: MatrixModule[]; targets: string[] | 'universe' } {
  const issues: { path: string; message: string }[] = [];
  for (const key of ['from', 'to'] as const) {
    if (!isYmd(query[key])) issues.push({ path: key, message: 'a YYYYMMDD date' });
  }
  if (issues.length === 0) {
    const days = datesBetween(query.from, query.to).length;
    if (days === 0) issues.push({ path: 'to', message: 'on or after from' });
    if (days > MAX_MATRIX_DAYS)
      issues.push({ path: 'to', message: `at most ${MAX_MATRIX_DAYS} days from from` });
  }
  let targets: string[] | 'universe' = 'universe';
  if (query.target !== 'universe') {
    targets = [...new Set(query.target)];
    if (targets.length === 0 || targets.length > MAX_MATRIX_TARGETS) {
      issues.push({ path: 'target', message: `'universe' or 1 to ${MAX_MATRIX_TARGETS} ts_codes` });
    }
  }
  if (issues.length > 0) throw new ValidationError('matrix query', issues);
  return { modules: (query.modules ?? MATRIX_MODULES).map(matrixModule), targets };
}

const openOn = (module: MatrixModule, date: string, fromCalendar: boolean | null): boolean | null =>
  module.calendar === 'weekdays' ? weekday(date) >= 1 && weekday(date) <= 5 : fromCalendar;

/**
 * The status matrix, SSOT-first: computed from the stored rows, the trading calendar and the
 * instrument listings on every call, never from a cache. One query per call.
 */
export async function computeMatrix(db: Queryable, query: MatrixQuery): Promise<Matrix> {
  const { modules, targets } = validate(query);
  const byName = new Map(modules.map((m) => [m.module, m]));
  const calendarExchange = query.calendarExchange ?? 'SSE';
  const range = { modules, from: query.from, to: query.to, calendarExchange };
  const pools = query.pools ?? {};
  const cells: MatrixCell[] = [];
  const history = query.flagsHistory;
  const flagsOf = (date: string) => (history ? flagsOn(history, date).flags : query.flags);
  const switchOf = (module: MatrixModule, date: string) => {
    const state = moduleSwitch(module, flagsOf(date), query.phase);
    return state.on ? 'on' : state.reason;
  };

  if (targets === 'universe') {
    for (const row of await readUniverseCounts(db, { ...range, pools })) {
      const module = byName.get(row.module) as MatrixModule;
      const verdict = classifyCell({
        switch: switchOf(module, row.trade_date),
        open: openOn(module, row.trade_date, row.is_open),
        expected: row.expected,
        got: row.got,
      });
      const publication = publicationOf(verdict, row);
      cells.push({
        target: 'universe',
        module: row.module,
        tradeDate: row.trade_date,
        ...verdict,
        expected: row.expected,
        got: row.got,
        unlisted: row.unlisted,
        suspended: row.suspended,
        ...(publication === undefined ? {} : { publication }),
        revisions: row.revisions,
      });
    }
  } else {
    const unknown = await readUnknownCodes(db, targets);
    if (unknown.length > 0)
      throw new ValidationError('matrix query', [
        {
          path: 'target',
          message: `not an instrument in the store: ${unknown.slice(0, 5).join(', ')}; give 'universe' or ts_codes`,
        },
      ]);
    for (const row of await readSymbolCells(db, { ...range, targets })) {
      const module = byName.get(row.module) as MatrixModule;
      const listed = row.listed === true;
      const got = listed && row.got ? 1 : 0;
      const verdict = classifyCell({
        switch: switchOf(module, row.trade_date),
        open: openOn(module, row.trade_date, row.is_open),
        listing: row.listed === null ? 'not_an_instrument' : listed ? 'listed' : 'not_listed',
        suspended: row.suspended,
        expected: listed ? 1 : 0,
        got,
      });
      cells.push({
        target: row.ts_code,
        module: row.module,
        tradeDate: row.trade_date,
        ...verdict,
        expected: listed ? 1 : 0,
        got,
      });
    }
  }
  return { cells, summary: summarize(cells) };
}

export interface ProbeView {
  apiName: string;
  passed: boolean;
  tushareCode: number | null;
  message: string | null;
  probedAt: number;
}

export interface RunSummary {
  runId: string;
  chain: string;
  batch: string | null;
  status: string;
  fromDate: string | null;
  toDate: string | null;
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
}

export interface LastError {
  runId: string;
  error: string;
  at: number;
}

/** What the projections know around a cell: read by context-sql.ts or handed in by the API. */
export interface ExplainContext {
  /** The stored flags; the flags of the cell's date when `flagsHistory` is given. */
  flags: RolloutFlags;
  flagsHistory?: readonly FlagsChange[];
  /** The phase record now: it judges every date (see phaseAsOf). */
  phase: PhaseRecord;
  phaseHistory?: readonly PhaseChange[];
  /** The latest probe per endpoint; the ones of the cell's date when `probeHistory` is given. */
  probes?: readonly ProbeView[];
  probeHistory?: readonly ProbeEntry[];
  lastRun?: RunSummary | null;
  lastError?: LastError | null;
}

export interface CellExplanation {
  target: string;
  module: string;
  tradeDate: string;
  status: CellStatus;
  expected: number;
  got: number;
  coverage: number | null;
  unlisted?: number;
  /** Universe only: listed stocks suspended all day, not expected. */
  suspended?: number;
  /** Universe only, applicable cells: the endpoint's publication state of the day. */
  publication?: PublicationState;
  /** Universe only: stored rows of the day a later fetch revised. */
  revisions?: number;
  /** Universe only: when the first and the latest revision of the day were stored (ms); null when none. */
  firstRevisedAt?: number | null;
  lastRevisedAt?: number | null;
  /** Up to 20 ts_codes expected that day with no stored row. */
  missingSample: string[];
  lastRun: RunSummary | null;
  lastError: LastError | null;
  /** The module's switches as in force on the cell's date: that date's flags AND the phase record. */
  flagsInForce: Partial<Record<FlagName, boolean>>;
  flagsUpdatedAt: number;
  /**
   * Which flags judged the cell: those in force at the end of its trade date, set by the change at
   * `offset` (null: the defaults, before any change), or the stored ones (`rule: stored`) when the
   * history was not at hand.
   */
  flagsAsOf: {
    tradeDate: string;
    rule: 'end_of_trade_date' | 'stored';
    offset: number | null;
    changedAt: number | null;
  };
  /**
   * The phase record in force at the end of the cell's date (the phase event at `offset`), for the
   * audit: the cell itself is judged by the record in force now, which governs backfills too.
   */
  phaseAsOf: {
    tradeDate: string;
    rule: 'end_of_trade_date' | 'stored';
    phase: PhaseRecord['phase'];
    frozen: boolean;
    offset: number | null;
    changedAt: number | null;
  };
  /** The permission probe of this module's endpoint in force on the cell's date (or the latest). */
  probes: ProbeView[];
  probesAsOf: { tradeDate: string; rule: 'end_of_trade_date' | 'stored' };
  notApplicableReason?: string;
}

/** One cell with the why: the same computation as the matrix, plus a sample of what is missing. */
export async function explainCell(
  db: Queryable,
  cell: { target: string; module: string; tradeDate: string; calendarExchange?: string },
  context: ExplainContext,
  pools: MatrixPools = {},
): Promise<CellExplanation> {
  const module = matrixModule(cell.module);
  const asOf: FlagsOnDate | null = context.flagsHistory
    ? flagsOn(context.flagsHistory, cell.tradeDate)
    : null;
  const flags = asOf?.flags ?? context.flags;
  const phaseAsOf: PhaseOnDate | null = context.phaseHistory
    ? phaseOn(context.phaseHistory, cell.tradeDate)
    : null;
  // Unlike the flags, the phase record in force now judges every date: it decides what the pipeline
  // fetches now, backfills of earlier days included, so a history fetched in phase B is owed even for
  // days before B began. The phase of the date itself is reported (phaseAsOf), not applied.
  const phase = context.phase;
  const probes = context.probeHistory
    ? [probeOn(context.probeHistory, cell.module, cell.tradeDate)].flatMap((p) =>
        p === undefined
          ? []
          : [
              {
                apiName: p.apiName,
                passed: p.passed,
                tushareCode: p.tushareCode,
                message: p.message,
                probedAt: p.at,
              },
            ],
      )
    : (context.probes ?? []).filter((p) => p.apiName === cell.module);
  const { cells } = await computeMatrix(db, {
    target: cell.target === 'universe' ? 'universe' : [cell.target],
    modules: [cell.module],
    from: cell.tradeDate,
    to: cell.tradeDate,
    flags,
    phase,
    pools,
    ...(cell.calendarExchange === undefined ? {} : { calendarExchange: cell.calendarExchange }),
  });
  const pool = pools[cell.module];
  const found = cells[0] as MatrixCell;
  let missingSample: string[] = [];
  if (found.status === 'missing' || found.status === 'partial') {
    missingSample =
      cell.target === 'universe'
        ? await readMissingSample(db, {
            module,
            tradeDate: cell.tradeDate,
            limit: MISSING_SAMPLE_SIZE,
            ...(pool !== undefined && { pool }),
          })
        : [cell.target];
  }
  const revised =
    cell.target === 'universe'
      ? await readRevisions(db, { module: cell.module, tradeDate: cell.tradeDate })
      : null;
  return {
    target: found.target,
    module: found.module,
    tradeDate: found.tradeDate,
    status: found.status,
    expected: found.expected,
    got: found.got,
    coverage: found.coverage,
    ...(found.unlisted === undefined ? {} : { unlisted: found.unlisted }),
    ...(found.suspended === undefined ? {} : { suspended: found.suspended }),
    ...(found.publication === undefined ? {} : { publication: found.publication }),
    ...(cell.target === 'universe' && {
      revisions: revised?.revisions ?? 0,
      firstRevisedAt: revised?.first_revised_at.getTime() ?? null,
      lastRevisedAt: revised?.last_revised_at.getTime() ?? null,
    }),
    missingSample,
    lastRun: context.lastRun ?? null,
    lastError: context.lastError ?? null,
    flagsInForce: switchesInForce(module, flags, phase),
    flagsUpdatedAt: flags.updatedAt,
    flagsAsOf: asOf
      ? {
          tradeDate: cell.tradeDate,
          rule: 'end_of_trade_date',
          offset: asOf.offset,
          changedAt: asOf.changedAt,
        }
      : { tradeDate: cell.tradeDate, rule: 'stored', offset: null, changedAt: null },
    phaseAsOf: {
      tradeDate: cell.tradeDate,
      rule: phaseAsOf ? 'end_of_trade_date' : 'stored',
      phase: (phaseAsOf?.phase ?? phase).phase,
      frozen: (phaseAsOf?.phase ?? phase).frozen,
      offset: phaseAsOf?.offset ?? null,
      changedAt: phaseAsOf?.changedAt ?? null,
    },
    probes,
    probesAsOf: { tradeDate: cell.tradeDate, rule: context.probeHistory ? 'end_of_trade_date' : 'stored' },
    ...(found.reason === undefined
      ? {}
      : { notApplicableReason: notApplicable(found.reason, module, { ...context, flags, phase }) }),
  };
}

/** A cell closed by the phase says which phase opens it, or which freeze shut it. */
function notApplicable(reason: string, module: MatrixModule, context: ExplainContext): string {
  if (reason !== 'phase') return reason;
  const state = moduleSwitch(module, context.flags, context.phase);
  return state.on ? reason : `phase: ${state.detail}`;
}

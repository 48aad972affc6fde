import { datesBetween, isYmd, weekday } from '../../contracts/dates.js';
import { ValidationError } from '../../contracts/errors.js';
import type { FlagName, RolloutFlags } from '../../contracts/flags.js';
import type { GrayModule } from '../../contracts/gray.js';
import { MINUTE_FREQ } from '../../contracts/sessions.js';
import type { PhaseRecord } from '../policy/switches.js';
import type { GrayHistoryEntry } from '../reducers/gray.js';
import type { PhaseChange } from '../reducers/history.js';
import type { ProbeEntry } from '../reducers/probes.js';
import { type FlagsChange, type FlagsOnDate, flagsOn, type PhaseOnDate, phaseOn, probeOn } from './as-of.js';
import {
  type CellStatus,
  type CellVerdict,
  classifyCell,
  type MatrixCell,
  type MatrixSummary,
  type PublicationState,
  publicationOf,
  summarize,
} from './cell.js';
import {
  type MinuteUniverseRow,
  readMinuteShortfall,
  readMinuteSymbols,
  readMinuteUniverse,
  readOpenDays,
} from './minute-sql.js';
import { expectedBars, type GrayDay, grayDay, grayPoolOf } from './minutes.js';
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
   * in force on it (as-of.ts), not by `flags`.
   */
  flagsHistory?: readonly FlagsChange[];
  /** The phase record: a module its phase has not opened (or a freeze shut) is not applicable (`phase`). */
  phase: PhaseRecord;
  /** The trading calendar the exchange-traded modules follow (default SSE). */
  calendarExchange?: string;
  /** Modules measured against a symbol pool rather than the whole listed universe. */
  pools?: MatrixPools;
  /**
   * Every gray stage change (the gray_history projection): a minute module's day expects the pool
   * of its stage then (minutes.ts). Absent: no module has started, so minute cells do not apply.
   */
  grayHistory?: readonly GrayHistoryEntry[];
  /** The minute frequency measured; the one the fetch plans (MINUTE_FREQ) by default. */
  minuteFreq?: string;
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
  const { modules: all, targets } = validate(query);
  const modules = all.filter((m) => m.kind === 'daily');
  const minuteModules = all.filter((m) => m.kind === 'minute');
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

  if (targets !== 'universe') {
    const unknown = await readUnknownCodes(db, targets);
    if (unknown.length > 0)
      throw new ValidationError('matrix query', [
        {
          path: 'target',
          message: `not an instrument in the store: ${unknown.slice(0, 5).join(', ')}; give 'universe' or ts_codes`,
        },
      ]);
  }

  if (modules.length === 0) {
    // Minute modules only: no daily statement to run.
  } else if (targets === 'universe') {
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
  if (minuteModules.length > 0) {
    const open = await readOpenDays(db, { exchange: calendarExchange, from: query.from, to: query.to });
    for (const module of minuteModules) {
      const context: MinuteContext = {
        module,
        days: datesBetween(query.from, query.to),
        open,
        switchOf: (date) => switchOf(module, date),
        pool: pools[module.module],
        grayHistory: query.grayHistory ?? [],
        freq: query.minuteFreq ?? MINUTE_FREQ,
      };
      cells.push(
        ...(targets === 'universe'
          ? await minuteUniverseCells(db, context)
          : await minuteSymbolCells(db, context, targets, query)),
      );
    }
  }
  return { cells, summary: summarize(cells) };
}

interface MinuteContext {
  module: MatrixModule;
  days: readonly string[];
  open: ReadonlyMap<string, boolean>;
  switchOf: (date: string) => 'on' | 'switched off' | 'phase';
  /** The module's whole pool; undefined when the reference data resolves none. */
  pool: readonly string[] | undefined;
  grayHistory: readonly GrayHistoryEntry[];
  freq: string;
}

/** The gray stage each day is judged by, and the pool members of each stage (drawn once per stage). */
function grayDays(context: MinuteContext): {
  days: Map<string, GrayDay>;
  members: (day: GrayDay & { fetches: true }) => string[];
} {
  const gray = context.module.grayModule as GrayModule;
  const days = new Map(context.days.map((d) => [d, grayDay(context.grayHistory, gray, d)]));
  const drawn = new Map<number, string[]>();
  const members = (day: GrayDay & { fetches: true }) => {
    let found = drawn.get(day.entry.offset);
    if (found === undefined) {
      found = grayPoolOf(gray, day.entry, context.pool ?? []);
      drawn.set(day.entry.offset, found);
    }
    return found;
  };
  return { days, members };
}

/** Why a minute day fetched nothing: its stage, or no pool to draw from; undefined when it fetched. */
function grayClosedOf(day: GrayDay, context: MinuteContext): string | undefined {
  if (!day.fetches) return day.reason;
  return context.pool === undefined ? 'no pool: the reference data resolves none for this module' : undefined;
}

/**
 * Minute universe cells: per day, the bars the day's gray pool owes (listed, not suspended members,
 * each by its sessions) against the bars stored. One statement per stage in the range.
 */
async function minuteUniverseCells(db: Queryable, context: MinuteContext): Promise<MatrixCell[]> {
  const { module, freq } = context;
  const gray = grayDays(context);
  const byEntry = new Map<number, { day: GrayDay & { fetches: true }; dates: string[] }>();
  for (const [date, day] of gray.days) {
    if (!day.fetches || grayClosedOf(day, context) !== undefined) continue;
    if (context.switchOf(date) !== 'on' || context.open.get(date) !== true) continue;
    const group = byEntry.get(day.entry.offset) ?? { day, dates: [] };
    group.dates.push(date);
    byEntry.set(day.entry.offset, group);
  }
  const counts = new Map<string, MinuteUniverseRow>();
  for (const { day, dates } of byEntry.values()) {
    const rows = await readMinuteUniverse(db, {
      assetClass: module.assetClass,
      freq,
      members: gray.members(day),
      dates,
    });
    for (const [date, row] of rows) counts.set(date, row);
  }
  return context.days.map((date) => {
    const day = gray.days.get(date) as GrayDay;
    const row = counts.get(date);
    const expected = row?.expected ?? 0;
    const got = row?.got ?? 0;
    const closed = grayClosedOf(day, context);
    const verdict = classifyCell({
      switch: context.switchOf(date),
      open: context.open.get(date) ?? null,
      ...(closed !== undefined && { grayClosed: closed }),
      expected,
      got,
    });
    return {
      target: 'universe',
      module: module.module,
      tradeDate: date,
      ...verdict,
      expected,
      got,
      freq,
      grayStage: day.stage,
      instruments: row?.instruments ?? 0,
      instrumentsShort: row?.short ?? 0,
      suspended: row?.suspended ?? 0,
    };
  });
}

/** Minute symbol cells: the target's bars on each day, when the day's gray pool holds it. One statement. */
async function minuteSymbolCells(
  db: Queryable,
  context: MinuteContext,
  targets: readonly string[],
  query: Pick<MatrixQuery, 'from' | 'to'>,
): Promise<MatrixCell[]> {
  const { module, freq } = context;
  const gray = grayDays(context);
  const rows = await readMinuteSymbols(db, {
    assetClass: module.assetClass,
    freq,
    targets,
    from: query.from,
    to: query.to,
  });
  return rows.map((row) => {
    const day = gray.days.get(row.trade_date) as GrayDay;
    const closed = grayClosedOf(day, context);
    const member = day.fetches && gray.members(day).includes(row.ts_code);
    const owes = row.listed === true && !row.suspended && member;
    const bars = owes ? expectedBars(module.assetClass, row.exchange, freq) : 0;
    const expected = bars ?? 0;
    const got = owes ? Math.min(row.got, expected) : 0;
    let verdict: CellVerdict = classifyCell({
      switch: context.switchOf(row.trade_date),
      open: context.open.get(row.trade_date) ?? null,
      ...(closed !== undefined && { grayClosed: closed }),
      listing: row.listed === null ? 'not_an_instrument' : row.listed ? 'listed' : 'not_listed',
      suspended: row.suspended,
      ...(day.stage !== null && { grayPool: { member, stage: day.stage } }),
      expected,
      got,
    });
    if (bars === null && verdict.status !== 'not_applicable') {
      verdict = {
        status: 'not_applicable',
        coverage: null,
        reason: `no trading sessions known for exchange ${row.exchange ?? '(none)'}`,
      };
    }
    return {
      target: row.ts_code,
      module: module.module,
      tradeDate: row.trade_date,
      ...verdict,
      expected,
      got,
      freq,
      grayStage: day.stage,
      instruments: owes && bars !== null ? 1 : 0,
    };
  });
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
  /** Every gray stage change: what a minute module's day is judged by. */
  grayHistory?: readonly GrayHistoryEntry[];
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
  /** Up to 20 ts_codes expected that day with no stored row (minute modules: lacking bars). */
  missingSample: string[];
  /** Minute modules: up to 20 instruments lacking bars that day, in code order, with how many each lacks. */
  missingBars?: MissingBars[];
  freq?: string;
  grayStage?: string | null;
  instruments?: number;
  instrumentsShort?: number;
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

export interface MissingBars {
  tsCode: string;
  expected: number;
  got: number;
  missing: number;
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
  const phaseOnDate = phaseAsOf?.phase ?? phase;
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
    ...(context.grayHistory !== undefined && { grayHistory: context.grayHistory }),
    ...(cell.calendarExchange === undefined ? {} : { calendarExchange: cell.calendarExchange }),
  });
  const pool = pools[cell.module];
  const found = cells[0] as MatrixCell;
  let missingSample: string[] = [];
  let missingBars: MissingBars[] | undefined;
  const short = found.status === 'missing' || found.status === 'partial';
  if (module.kind === 'minute') {
    missingBars = !short
      ? []
      : cell.target === 'universe'
        ? await minuteShortfall(db, module, found, context.grayHistory ?? [], pool ?? [])
        : [
            {
              tsCode: cell.target,
              expected: found.expected,
              got: found.got,
              missing: found.expected - found.got,
            },
          ];
    missingSample = missingBars.map((m) => m.tsCode);
  } else if (short) {
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
    ...(module.kind === 'minute' && {
      freq: found.freq,
      grayStage: found.grayStage ?? null,
      instruments: found.instruments ?? 0,
      ...(found.instrumentsShort !== undefined && { instrumentsShort: found.instrumentsShort }),
      missingBars: missingBars ?? [],
    }),
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
      phase: phaseOnDate.phase,
      frozen: phaseOnDate.frozen,
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

/** The instruments of a minute universe cell's gray pool that lack bars, with how many each lacks. */
async function minuteShortfall(
  db: Queryable,
  module: MatrixModule,
  cell: MatrixCell,
  history: readonly GrayHistoryEntry[],
  pool: readonly string[],
): Promise<MissingBars[]> {
  const day = grayDay(history, module.grayModule as GrayModule, cell.tradeDate);
  if (!day.fetches) return [];
  const rows = await readMinuteShortfall(db, {
    assetClass: module.assetClass,
    freq: cell.freq ?? MINUTE_FREQ,
    members: grayPoolOf(module.grayModule as GrayModule, day.entry, pool),
    date: cell.tradeDate,
    limit: MISSING_SAMPLE_SIZE,
  });
  return rows.map((r) => ({
    tsCode: r.ts_code,
    expected: r.expected,
    got: r.got,
    missing: r.expected - r.got,
  }));
}

/** A cell closed by the phase says which phase opens it, or which freeze shut it. */
function notApplicable(reason: string, module: MatrixModule, context: ExplainContext): string {
  if (reason !== 'phase') return reason;
  const state = moduleSwitch(module, context.flags, context.phase);
  return state.on ? reason : `phase: ${state.detail}`;
}

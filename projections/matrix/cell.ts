import type { CoveragePoint, PublicationState } from '../gates/types.js';

export type { PublicationState } from '../gates/types.js';

export type CellStatus = 'complete' | 'partial' | 'missing' | 'not_applicable';

/** What the store says about one target × module × trade date. */
export interface CellFacts {
  /** Whether the module runs: `on`, or closed by its flags or by the phase record. */
  switch: 'on' | 'switched off' | 'phase';
  /** Whether the market opened that day; null when the trading calendar has no such day. */
  open: boolean | null;
  /** Symbol targets only: is the target an instrument of the module's asset class, listed that day. */
  listing?: 'listed' | 'not_listed' | 'not_an_instrument';
  /** Symbol targets only: suspended all day (suspend_d), so no bar is due. */
  suspended?: boolean;
  /** Minute modules: why the day's gray stage fetched nothing (not started, probe); absent when it fetched. */
  grayClosed?: string;
  /** Minute modules, symbol targets: whether the instrument is in the day's gray pool, and the stage. */
  grayPool?: { member: boolean; stage: string };
  expected: number;
  got: number;
}

export interface CellVerdict {
  status: CellStatus;
  coverage: number | null;
  reason?: string;
}

/**
 * The cell rule. A stock suspended all day (suspend_d) is expected nowhere: not applicable as a
 * target, left out of `expected` in the universe. A listed stock with no row on an open day and no
 * suspension lowers coverage.
 */
export function classifyCell(facts: CellFacts): CellVerdict {
  const na = (reason: string): CellVerdict => ({ status: 'not_applicable', coverage: null, reason });
  if (facts.switch !== 'on') return na(facts.switch);
  if (facts.open === null) return na('no trading calendar for this day');
  if (!facts.open) return na('market closed');
  if (facts.grayClosed !== undefined) return na(facts.grayClosed);
  if (facts.listing === 'not_an_instrument') return na("not an instrument of this module's asset class");
  if (facts.listing === 'not_listed') return na('not listed on this day');
  if (facts.suspended === true) return na('suspended');
  if (facts.grayPool?.member === false) return na(`not in the gray pool at stage ${facts.grayPool.stage}`);
  if (facts.expected === 0) return na('no instrument listed on this day');
  const coverage = Math.min(facts.got, facts.expected) / facts.expected;
  if (facts.got === 0) return { status: 'missing', coverage };
  return { status: facts.got >= facts.expected ? 'complete' : 'partial', coverage };
}

export const PUBLICATION_STATES: readonly PublicationState[] = [
  'not_published',
  'partial',
  'complete',
  'revised',
];

/**
 * The publication state of an applicable universe cell; none for a cell that is not applicable. A
 * day moves forward through the states as runs fetch it again; a partial day stays partial even
 * when some of its rows were revised, since rows are still owed.
 */
export function publicationOf(
  verdict: CellVerdict,
  counts: { got: number; expected: number; revisions: number },
): PublicationState | undefined {
  if (verdict.status === 'not_applicable') return undefined;
  if (counts.got === 0) return 'not_published';
  if (counts.got < counts.expected) return 'partial';
  return counts.revisions > 0 ? 'revised' : 'complete';
}

export interface MatrixCell {
  /** `universe` or a ts_code. */
  target: string;
  module: string;
  tradeDate: string;
  status: CellStatus;
  /** Instruments listed that day (1 or 0 for a symbol target); minute modules: bars those owe. */
  expected: number;
  /** Stored rows of those instruments; minute modules: their stored bars (at most what each owes). */
  got: number;
  coverage: number | null;
  /** Minute modules: the bar frequency measured. */
  freq?: string;
  /** Minute modules: the gray stage the day is judged by (null: not started). */
  grayStage?: string | null;
  /** Minute modules: instruments owing bars that day, and how many of them lack some. */
  instruments?: number;
  instrumentsShort?: number;
  /** Universe only: stored rows of instruments the reference data does not list that day. */
  unlisted?: number;
  /** Universe only: listed stocks suspended all day, not counted in `expected`. */
  suspended?: number;
  /** Universe only, applicable cells: the endpoint's publication state of the day. */
  publication?: PublicationState;
  /** Universe only: stored rows of the day a later fetch revised. */
  revisions?: number;
  reason?: string;
}

export interface ModuleSummary {
  complete: number;
  partial: number;
  missing: number;
  not_applicable: number;
  /** Stored over expected across the module's applicable cells; null when none applies. */
  coverage: number | null;
}

export interface MatrixSummary {
  cells: number;
  byStatus: Record<CellStatus, number>;
  /** Universe cells by publication state (applicable cells only). */
  byPublication: Record<PublicationState, number>;
  byModule: Record<string, ModuleSummary>;
}

const emptyCounts = (): Record<CellStatus, number> => ({
  complete: 0,
  partial: 0,
  missing: 0,
  not_applicable: 0,
});

export function summarize(cells: readonly MatrixCell[]): MatrixSummary {
  const byStatus = emptyCounts();
  const byPublication = Object.fromEntries(PUBLICATION_STATES.map((s) => [s, 0])) as Record<
    PublicationState,
    number
  >;
  const totals = new Map<string, { counts: Record<CellStatus, number>; got: number; expected: number }>();
  for (const cell of cells) {
    byStatus[cell.status]++;
    if (cell.publication !== undefined) byPublication[cell.publication]++;
    let total = totals.get(cell.module);
    if (total === undefined) {
      total = { counts: emptyCounts(), got: 0, expected: 0 };
      totals.set(cell.module, total);
    }
    total.counts[cell.status]++;
    if (cell.status !== 'not_applicable') {
      total.got += Math.min(cell.got, cell.expected);
      total.expected += cell.expected;
    }
  }
  const byModule: Record<string, ModuleSummary> = {};
  for (const [module, t] of totals) {
    byModule[module] = { ...t.counts, coverage: t.expected === 0 ? null : t.got / t.expected };
  }
  return { cells: cells.length, byStatus, byPublication, byModule };
}

/** The universe cells as the coverage series the gates and alerts read. */
export function coverageSeries(cells: readonly MatrixCell[]): CoveragePoint[] {
  return cells
    .filter((c) => c.target === 'universe')
    .map((c) => ({
      tradeDate: c.tradeDate,
      module: c.module,
      coverage: c.coverage,
      ...(c.publication === undefined ? {} : { publication: c.publication }),
    }));
}

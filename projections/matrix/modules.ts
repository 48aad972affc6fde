import { type AssetClass, ENDPOINTS, type EndpointSpec } from '../../contracts/catalog/index.js';
import { ValidationError } from '../../contracts/errors.js';
import type { FlagName, RolloutFlags } from '../../contracts/flags.js';
import { type GrayModule, grayModuleOf } from '../../contracts/gray.js';
import { type PhaseRecord, switchStates } from '../policy/switches.js';

/** Where a module's rows are stored. */
export type StorageTable = 'market_bar' | 'daily_basic' | 'moneyflow' | 'adj_factor' | 'minute_bar';

export interface MatrixModule {
  module: string;
  /**
   * `daily`: one row per instrument and trade date, expected of every listed instrument (or of its
   * pool). `minute`: bars per instrument-day by the sessions, expected of the gray stage's pool.
   */
  kind: 'daily' | 'minute';
  /** Minute modules: the P2 module whose gray stage picks the instruments. */
  grayModule?: GrayModule;
  assetClass: AssetClass;
  table: StorageTable;
  /** The switches that must both be on: the endpoint's own and its batch's master switch. */
  switches: readonly FlagName[];
  /** FX follows no exchange calendar of ours (FXCM dates are GMT and FX trades on CN holidays). */
  calendar: 'exchange' | 'weekdays';
}

/** The catalog's daily market endpoints: one row per instrument and trade date. */
const DAILY_SPECS: readonly EndpointSpec[] = ENDPOINTS.filter(
  (s) => s.role === 'market' && s.timeField === 'trade_date',
);
/**
 * The P2 minute-history endpoints (stored in minute_bar), fetched per instrument on a gray pool;
 * the realtime minute endpoints only write provisional bars of today, which the history replaces.
 */
const MINUTE_SPECS: readonly EndpointSpec[] = ENDPOINTS.filter(
  (s) => s.role === 'minute' && grayModuleOf(s) !== null,
);
export const DAILY_MATRIX_MODULES: readonly string[] = DAILY_SPECS.map((s) => s.apiName);
export const MINUTE_MATRIX_MODULES: readonly string[] = MINUTE_SPECS.map((s) => s.apiName);
/** The matrix's modules, one cell per trade date each: the daily ones, then the minute ones. */
export const MATRIX_MODULES: readonly string[] = [...DAILY_MATRIX_MODULES, ...MINUTE_MATRIX_MODULES];

/** These keep their own tables, named after the endpoint; every other daily bar is a market_bar row. */
const OWN_TABLE: ReadonlySet<string> = new Set<StorageTable>(['daily_basic', 'moneyflow', 'adj_factor']);

const BATCH_SWITCH: Partial<Record<EndpointSpec['batch'], FlagName>> = {
  p0: 'p0Enabled',
  p1: 'p1Enabled',
  p2: 'p2Enabled',
};

function toModule(spec: EndpointSpec): MatrixModule {
  const master = BATCH_SWITCH[spec.batch];
  const gray = grayModuleOf(spec);
  const minute = spec.role === 'minute' && gray !== null;
  return {
    module: spec.apiName,
    kind: minute ? 'minute' : 'daily',
    ...(minute && { grayModule: gray }),
    assetClass: spec.assetClass,
    table: minute
      ? 'minute_bar'
      : OWN_TABLE.has(spec.apiName)
        ? (spec.apiName as StorageTable)
        : 'market_bar',
    switches: master === undefined || master === spec.switch ? [spec.switch] : [master, spec.switch],
    calendar: spec.assetClass === 'fx' ? 'weekdays' : 'exchange',
  };
}

const BY_NAME = new Map([...DAILY_SPECS, ...MINUTE_SPECS].map((s) => [s.apiName, toModule(s)]));

export function matrixModule(name: string): MatrixModule {
  const found = BY_NAME.get(name);
  if (found === undefined) {
    throw new ValidationError('matrix module', [
      {
        path: 'module',
        message: `'${name}' is not a daily market or minute history endpoint (one of ${MATRIX_MODULES.join(', ')})`,
      },
    ]);
  }
  return found;
}

/** The module's switches as in force: flags AND the phase record (projections/policy/switches.ts). */
export function switchesInForce(
  module: MatrixModule,
  flags: RolloutFlags,
  phase: PhaseRecord,
): Partial<Record<FlagName, boolean>> {
  const states = switchStates(flags, phase);
  return Object.fromEntries(module.switches.map((name) => [name, states[name].effective]));
}

/**
 * Whether the module runs, and if not, why: `switched off` when a flag says so (or the p2 master
 * switch does), `phase` when the flags would let it run but the phase record does not.
 */
export function moduleSwitch(
  module: MatrixModule,
  flags: RolloutFlags,
  phase: PhaseRecord,
): { on: true } | { on: false; reason: 'switched off' | 'phase'; detail: string } {
  const states = switchStates(flags, phase);
  const closed = module.switches.map((name) => states[name]).filter((s) => !s.effective);
  const byFlags = closed.find((s) => s.reason !== 'phase');
  const first = byFlags ?? closed[0];
  if (first === undefined) return { on: true };
  return { on: false, reason: byFlags ? 'switched off' : 'phase', detail: first.detail ?? '' };
}

/**
 * Listing on a day: listed on or before it, and not yet delisted. Tushare's `delist_date` is the
 * first day off the market for stocks, ETFs and indexes, but the last trading day for futures
 * contracts (fut_basic documents it so), which therefore still trade on it.
 */
export const DELIST_DATE_IS_LAST_TRADING_DAY: readonly AssetClass[] = ['futures'];

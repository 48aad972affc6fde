import { ENDPOINTS } from '../../contracts/catalog/index.js';
import { ValidationError } from '../../contracts/errors.js';
import { isGrayModule } from '../../contracts/gray.js';
import type { BatchGate, GateName, RunState, RunView, Wave } from './types.js';
import { WAVES } from './types.js';

/** What one gate looks at: which runs count, which failures block it, which coverage it needs. */
export interface GateScope {
  gate: GateName;
  includes(run: RunView): boolean;
  /** Condition codes of the blocking failures this run brings to `date`. */
  blocking(run: RunView, date: string): string[];
  /** The run shows the gate's work finished on its day (failures aside). */
  proves(run: RunView): boolean;
  /** Modules whose coverage must meet the threshold on every counted day. */
  coverageModules: readonly string[];
}

const FAILED: ReadonlySet<RunState> = new Set(['failed', 'abandoned']);
const FINISHED_WELL: ReadonlySet<RunState> = new Set(['ok', 'partial']);

/** A failed or abandoned main run blocks every gate: the main chain is the thing each one protects. */
function mainBlocking(run: RunView, date: string): string[] {
  if (run.chain !== 'main' || !FAILED.has(run.status)) return [];
  return [run.status === 'failed' ? `blocking_run_failed:${date}` : `blocking_run_abandoned:${date}`];
}

/**
 * Daily market endpoints of a batch: the modules the matrix measures per trade date. P2 holds
 * minute, realtime and microstructure data only, so its gate rests on runs and residue.
 */
export function batchCoverageModules(batch: BatchGate): string[] {
  return ENDPOINTS.filter(
    (s) => s.batch === batch && s.role === 'market' && s.timeField === 'trade_date',
  ).map((s) => s.apiName);
}

function batchScope(batch: BatchGate): GateScope {
  const main = (run: RunView) => run.chain === 'main' && (run.batch === batch || run.batch === null);
  if (batch !== 'p2') {
    return {
      gate: batch,
      // A main run without a batch fetched every enabled batch at once.
      includes: main,
      blocking: mainBlocking,
      proves: (run) => FINISHED_WELL.has(run.status),
      coverageModules: batchCoverageModules(batch),
    };
  }
  // P2 runs as one non-blocking chain per gray module: its gate is theirs, beside a P2 main run's.
  const own = (run: RunView) => isGrayModule(run.chain) || main(run);
  return {
    gate: batch,
    includes: (run) => run.chain === 'main' || own(run),
    blocking: (run, date) => [
      ...mainBlocking(run, date),
      ...(isGrayModule(run.chain) && FAILED.has(run.status)
        ? [`blocking_module_failed:${date}:${run.chain}`]
        : []),
    ],
    proves: (run) => own(run) && FINISHED_WELL.has(run.status),
    coverageModules: batchCoverageModules(batch),
  };
}

/** A gray module's own gate: its chain's runs, from its stage's start (the caller's baseline). */
function grayScope(module: string): GateScope {
  const own = (run: RunView) => run.chain === module;
  return {
    gate: `gray:${module}`,
    includes: (run) => run.chain === 'main' || own(run),
    blocking: (run, date) => [
      ...mainBlocking(run, date),
      ...(own(run) && FAILED.has(run.status) ? [`blocking_module_failed:${date}:${module}`] : []),
    ],
    proves: (run) => own(run) && FINISHED_WELL.has(run.status),
    coverageModules: [],
  };
}

function waveScope(wave: Wave): GateScope {
  const outcome = (run: RunView) => run.moduleResults?.filter((r) => r.module === wave) ?? [];
  return {
    gate: `wave:${wave}`,
    includes: (run) => run.chain === 'main' || run.chain === wave || outcome(run).length > 0,
    blocking(run, date) {
      const own =
        (run.chain === wave && FAILED.has(run.status)) || outcome(run).some((r) => FAILED.has(r.status));
      return [...mainBlocking(run, date), ...(own ? [`blocking_module_failed:${date}:${wave}`] : [])];
    },
    proves: (run) =>
      (run.chain === wave && FINISHED_WELL.has(run.status)) ||
      outcome(run).some((r) => FINISHED_WELL.has(r.status)),
    coverageModules: [wave],
  };
}

export function gateScope(gate: GateName): GateScope {
  if (gate === 'p0' || gate === 'p1' || gate === 'p2') return batchScope(gate);
  if (gate.startsWith('gray:')) {
    const module = gate.slice('gray:'.length);
    if (!isGrayModule(module)) {
      throw new ValidationError('gate', [{ path: 'gate', message: `unknown gray module '${module}'` }]);
    }
    return grayScope(module);
  }
  const wave = gate.slice('wave:'.length);
  if (!(WAVES as readonly string[]).includes(wave)) {
    throw new ValidationError('gate', [{ path: 'gate', message: `unknown gate '${gate}'` }]);
  }
  return waveScope(wave as Wave);
}

export const GATE_NAMES: readonly GateName[] = ['p0', 'p1', 'p2', ...WAVES.map((w) => `wave:${w}` as const)];

export const isGateName = (value: string): value is GateName =>
  (GATE_NAMES as readonly string[]).includes(value);

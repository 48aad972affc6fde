import { type ApiName, ENDPOINTS, type EndpointSpec } from '../../contracts/catalog/index.js';
import { GRAY_MODULES, grayEndpoints } from '../../contracts/gray.js';
import { CALENDAR_API, type EndpointSelection, selectEndpoints } from './planner.js';

/**
 * The daily job as an ordered list of runs (pure): what one `xasset run` does with the flags in
 * force. The main chain first — the reference snapshots every later run draws on, then each batch
 * (prices, FX and macro), all blocking — then the recovery modules in wave order, each its own
 * non-blocking run with its own cursor. Every run fetches the trade calendar itself.
 */
export interface JobStage {
  /** `reference`, a batch (`p0`, `p1`) or a recovery module's api_name. */
  name: string;
  /** `main`, or the module's name: RunStarted's chain. */
  chain: string;
  /** RunStarted's batch: `reference`, the batch, or null for a module or a hand-picked list. */
  batch: string | null;
  endpoints: ApiName[];
  /** A blocking stage that fails stops the job; a module's failure switches only the module off. */
  blocking: boolean;
}

/**
 * The batches of the main chain, in order. P2 is not among them: each of its modules runs as its
 * own non-blocking chain at its gray stage, so a P2 failure never touches the main chain.
 */
export const MAIN_BATCHES = ['p0', 'p1'] as const;

export const REFERENCE_STAGE = 'reference';

/** Reference snapshots (`*_basic`): taken whole once a day, before the data that needs them. */
export const isReferenceSnapshot = (spec: EndpointSpec): boolean =>
  spec.role === 'reference' && spec.fetchMode === 'snapshot' && spec.apiName !== CALENDAR_API;

const names = (specs: readonly EndpointSpec[]): ApiName[] => specs.map((s) => s.apiName as ApiName);

/**
 * The stages of the daily job. `isEffective` says whether an endpoint may run (its switch, and
 * whatever else governs it); stages left with no endpoint are dropped.
 */
export function planJob(
  isEffective: (spec: EndpointSpec) => boolean,
  options: { realtime?: boolean } = {},
): JobStage[] {
  if (options.realtime === true) return realtimeStages(isEffective);
  const main = ENDPOINTS.filter(
    (spec) => (MAIN_BATCHES as readonly string[]).includes(spec.batch) && spec.apiName !== CALENDAR_API,
  ).filter(isEffective);
  const stages: JobStage[] = [
    {
      name: REFERENCE_STAGE,
      chain: 'main',
      batch: REFERENCE_STAGE,
      endpoints: names(main.filter(isReferenceSnapshot)),
      blocking: true,
    },
    ...MAIN_BATCHES.map((batch) => ({
      name: batch,
      chain: 'main',
      batch,
      endpoints: names(main.filter((spec) => spec.batch === batch && !isReferenceSnapshot(spec))),
      blocking: true,
    })),
    // The catalog lists the modules in wave order: index_daily, daily_basic, moneyflow.
    ...ENDPOINTS.filter((spec) => spec.batch === 'module' && isEffective(spec)).map((spec) => ({
      name: spec.apiName,
      chain: spec.apiName,
      batch: null,
      endpoints: [spec.apiName as ApiName],
      blocking: false,
    })),
    // P2 by gray module (contracts/gray.ts), after the main chain: the history endpoints only, since
    // realtime data exists only during the session (`fetch --realtime`).
    ...GRAY_MODULES.map((module) => ({
      name: module,
      chain: module,
      batch: 'p2',
      endpoints: names(grayEndpoints(module).filter((spec) => spec.role !== 'realtime' && isEffective(spec))),
      blocking: false,
    })),
  ];
  return stages.filter((stage) => stage.endpoints.length > 0);
}

/**
 * The realtime job (`fetch --realtime`): per gray module, its realtime endpoints only, each module
 * its own non-blocking chain as in the daily job, so its gray stage, pool share and step back on a
 * failure apply unchanged. No reference run: the pools come from the instruments already stored.
 */
function realtimeStages(isEffective: (spec: EndpointSpec) => boolean): JobStage[] {
  return GRAY_MODULES.map((module) => ({
    name: module,
    chain: module,
    batch: 'p2',
    endpoints: names(grayEndpoints(module).filter((spec) => spec.role === 'realtime' && isEffective(spec))),
    blocking: false,
  })).filter((stage) => stage.endpoints.length > 0);
}

/** A run narrowed by hand (`--batch`, `--apis`): one main run of exactly that selection. */
export function handPickedStage(selection: EndpointSelection): JobStage {
  return {
    name: typeof selection === 'string' ? selection : 'apis',
    chain: 'main',
    batch: typeof selection === 'string' ? selection : null,
    endpoints: names(selectEndpoints(selection)),
    blocking: true,
  };
}

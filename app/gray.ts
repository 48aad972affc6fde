import { grayEndpoints, grayLadder, grayMembers } from '../contracts/gray.js';
import { StoreMatrixSource } from '../projections/api/adapters.js';
import { PgGateSnapshotSource } from '../projections/api/gate-snapshot.js';
import { PgProjectionReader } from '../projections/api/pg-reader.js';
import type { GrayView } from '../projections/api/schemas.js';
import { explainConditions } from '../projections/gates/conditions.js';
import { type GateRuns, grayView } from '../projections/gray/decide.js';
import { foldControlLog } from '../projections/log/control-view.js';
import { matrixPools } from './daily-job.js';
import type { Runtime } from './runtime.js';

/** The runs and open dates the gates read, from the projection tables. */
export function gateRuns(runtime: Runtime): Promise<GateRuns> {
  const matrix = new StoreMatrixSource(runtime.pool, new PgProjectionReader(runtime.pool));
  return new PgGateSnapshotSource(runtime.pool, matrix, runtime.config.gates).gateRuns();
}

/**
 * Every P2 module's gray release as `xasset gray show` and `GET /gray` give it: its stage, the pool
 * it fetches at that stage beside the whole pool, its gate, and the step the evaluator takes next.
 */
export async function grayReport(runtime: Runtime): Promise<GrayView> {
  const state = await foldControlLog({ log: runtime.log, codec: runtime.codec });
  const settings = runtime.config.gray;
  const views = grayView(state, await gateRuns(runtime), settings, runtime.config.gates.minCoverage);
  const pools = await matrixPools(runtime)();
  return {
    phase: { current: state.phases.phase, frozen: state.phases.frozen },
    ladder: grayLadder(settings),
    requiredDays: settings.requiredDays,
    modules: views.map((v) => ({
      module: v.module,
      effective: v.effective,
      stage: v.stage,
      since: v.since,
      share: v.share,
      allowList: [...v.allowList],
      pools: grayEndpoints(v.module).flatMap((spec) => {
        const members = pools[spec.apiName];
        if (members === undefined) return [];
        const fetched = v.stage === null ? [] : grayMembers(v.module, v.stage, members, settings);
        return [{ apiName: spec.apiName, members: members.length, fetched: fetched.length }];
      }),
      gate: v.gate && {
        passed: v.gate.passed,
        cleanDays: v.gate.cleanDays,
        requiredDays: v.gate.requiredDays,
        failures: v.gate.failures,
      },
      probesMissing: v.probesMissing,
      next: v.next && { action: v.next.action, to: v.next.to, reason: v.next.reason },
      waiting: explainConditions(v.waiting),
    })),
  };
}

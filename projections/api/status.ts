import type { GateSnapshotSource, ProjectionReader } from './ports.js';
import type { Environment, StatusView } from './schemas.js';

/** Alerts shown on /status and the status page: the most recent ones. */
export const STATUS_ALERTS = 20;

/** `GET /status`: the projections' current state with every gate evaluated now. */
export async function readStatus(
  reader: ProjectionReader,
  gates: GateSnapshotSource,
  environment: () => Promise<Environment>,
  now: Date,
): Promise<StatusView> {
  const [phase, flags, snapshot, residue, alerts, env] = await Promise.all([
    reader.readPhase(),
    reader.readFlags(),
    gates.gateSnapshot(null),
    reader.readRunningResidue(),
    reader.readAlerts(STATUS_ALERTS),
    environment(),
  ]);
  return {
    generatedAt: now.toISOString(),
    phase,
    batches: { p0: flags.effective.p0Enabled, p1: flags.effective.p1Enabled, p2: flags.effective.p2Enabled },
    gates: snapshot.gates.map((g) => ({
      gate: g.gate,
      passed: g.passed,
      provenBy: g.provenBy,
      cleanDays: g.cleanDays,
      requiredDays: g.requiredDays,
      cleanDayProgress: g.cleanDayProgress,
      cleanAsOfTradeDateProgress: g.cleanAsOfTradeDateProgress,
      failures: g.failures,
    })),
    coverage: snapshot.coverage,
    flags: flags.effective,
    flagDifferences: flags.differences,
    runningResidue: residue,
    alerts,
    environment: env,
  };
}

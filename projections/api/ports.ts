import type { FlagName } from '../../contracts/flags.js';
import type {
  AlertView,
  CursorsView,
  ExplainQuery,
  ExplainView,
  FlagsHistoryView,
  FlagsView,
  GateSnapshot,
  GatesView,
  MatrixQuery,
  MatrixView,
  MetricsSnapshot,
  PhaseView,
  RunState,
  RunsView,
  RunView,
} from './schemas.js';

/**
 * What the API needs from the control plane, named by the question asked. The routes know nothing
 * about tables, reducers or the log; the composition root decides what answers each question.
 */

export interface RunsFilter {
  status?: RunState;
  chain?: string;
  limit: number;
}

/** Projection tables (migration 003): state folded from the control topic. */
export interface ProjectionReader {
  readPhase(): Promise<PhaseView>;
  readFlags(): Promise<FlagsView>;
  readFlagsHistory(limit: number): Promise<FlagsHistoryView>;
  readRuns(filter: RunsFilter): Promise<RunsView>;
  /** Undefined for an id no RunStarted ever named. */
  readRun(runId: string): Promise<RunView | undefined>;
  readCursors(): Promise<CursorsView>;
  readGates(): Promise<GatesView>;
  readAlerts(limit: number): Promise<AlertView[]>;
  readRunningResidue(): Promise<{ running: number; stale: number }>;
  readMetrics(): Promise<MetricsSnapshot>;
  /** The last `count` open trade dates up to `onOrBefore` (YYYYMMDD), oldest first. */
  recentTradeDates(onOrBefore: string, count: number): Promise<string[]>;
}

/** `xasset gate snapshot`: the gates evaluated as of a trade date (or now). */
export interface GateSnapshotSource {
  gateSnapshot(asOfTradeDate: string | null): Promise<GateSnapshot>;
}

/** The status matrix (DESIGN §6), computed from the stored data, never from a cache. */
export interface MatrixSource {
  matrix(query: MatrixQuery): Promise<MatrixView>;
  explain(query: ExplainQuery): Promise<ExplainView>;
}

/** Everything the read routes ask. */
export interface ControlPlaneReader extends ProjectionReader, GateSnapshotSource, MatrixSource {}

export interface SetFlagsCommand {
  changes: Partial<Record<FlagName, boolean>>;
  reason: string;
  actor: string;
}

/**
 * Commands append control events; the projections catch up from the log. A refused command throws
 * `CommandRefusedError` with its reasons (premarket without a passed probe, …).
 */
export interface ControlPlaneCommands {
  /**
   * Resolves with the stored flags after the command and the offset of the FlagsChanged it
   * appended; null when the switches already had those values (nothing is appended then).
   */
  setFlags(
    command: SetFlagsCommand,
  ): Promise<{ flags: FlagsView['stored']; effective: FlagsView['effective']; offset: number | null }>;
}

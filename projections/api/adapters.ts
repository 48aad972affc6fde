import type { Pool } from 'pg';
import { datesBetween } from '../../contracts/dates.js';
import { setFlags } from '../commands/flags.js';
import type { CommandPorts } from '../commands/handle.js';
import { readExplainContext, readFlagsChanges, readGrayHistory } from '../matrix/context-sql.js';
import { computeMatrix, explainCell, type MatrixPools } from '../matrix/matrix.js';
import { MATRIX_MODULES, matrixModule } from '../matrix/modules.js';
import { type Queryable, readQuotaStops } from '../matrix/sql.js';
import type { FoundationSource } from './foundation.js';
import { PgGateSnapshotSource, type SnapshotThresholds } from './gate-snapshot.js';
import { PgProjectionReader } from './pg-reader.js';
import type { ControlPlaneCommands, MatrixSource, ProjectionReader } from './ports.js';
import type { ExplainView, GateSnapshot, MatrixView, QuotaStopView } from './schemas.js';

/**
 * The API's ports backed by the other projections modules: the status matrix of projections/matrix
 * and the flag commands of projections/commands. Their results are passed on as they are; the
 * annotations below make a change of their shapes a typecheck error here rather than a 500.
 */
/** The symbol pools the matrix measures pooled modules against, read when a matrix is computed. */
export type MatrixPoolSource = () => Promise<MatrixPools>;

export class StoreMatrixSource implements MatrixSource {
  readonly #db: Queryable;
  readonly #reader: Pick<ProjectionReader, 'readFlags' | 'readPhase'>;
  readonly #pools: MatrixPoolSource;

  constructor(
    db: Queryable,
    reader: Pick<ProjectionReader, 'readFlags' | 'readPhase'>,
    pools?: MatrixPoolSource,
  ) {
    this.#db = db;
    this.#reader = reader;
    this.#pools = pools ?? (async () => ({}));
  }

  async matrix(query: Parameters<MatrixSource['matrix']>[0]): Promise<MatrixView> {
    const [{ stored }, phase, flagsHistory, grayHistory] = await Promise.all([
      this.#reader.readFlags(),
      this.#reader.readPhase(),
      readFlagsChanges(this.#db),
      readGrayHistory(this.#db),
    ]);
    const modules = query.modules ?? MATRIX_MODULES;
    const result = await computeMatrix(this.#db, {
      target: query.target,
      modules,
      from: query.from,
      to: query.to,
      flags: stored,
      flagsHistory,
      grayHistory,
      phase: { phase: phase.current, frozen: phase.frozen, frozenReason: phase.frozenReason },
      pools: await this.#pools(),
    });
    const cells: MatrixView['cells'] = result.cells;
    const summary: MatrixView['summary'] = result.summary;
    return {
      target: query.target,
      from: query.from,
      to: query.to,
      modules: [...modules],
      tradeDates: datesBetween(query.from, query.to),
      cells,
      summary,
      quotaStops: await this.#quotaStops(modules),
    };
  }

  async #quotaStops(modules: readonly string[]): Promise<QuotaStopView[]> {
    return (await readQuotaStops(this.#db, modules)).map((r) => ({
      module: r.module,
      window: r.window,
      limit: r.limit,
      blockedUntil: r.blocked_until.getTime(),
    }));
  }

  async explain(query: Parameters<MatrixSource['explain']>[0]): Promise<ExplainView> {
    // An unknown module is the caller's mistake (400), before the context reader asks the catalog.
    matrixModule(query.module);
    const context = await readExplainContext(this.#db, query.module);
    const explanation: ExplainView = await explainCell(
      this.#db,
      { target: query.target, module: query.module, tradeDate: query.tradeDate },
      context,
      await this.#pools(),
    );
    return { ...explanation, quotaStops: await this.#quotaStops([query.module]) };
  }
}

/**
 * Flag commands on the control log. Pass one `view` in the ports for the server's lifetime: the
 * state is then folded incrementally and commands from this process are decided one at a time.
 */
export function logCommands(ports: CommandPorts, now: () => Date = () => new Date()): ControlPlaneCommands {
  return {
    async setFlags({ changes, reason, actor }) {
      const result = await setFlags(ports, { changes, reason, actor, now: now().getTime() });
      return { flags: result.flags, effective: result.effective, offset: result.offsets.at(-1) ?? null };
    },
  };
}

/**
 * `xasset gate snapshot [--as-of YYYYMMDD]`: the same JSON as `GET /gates/snapshot`, from the same
 * tables, matrix and gate rules.
 */
export function takeGateSnapshot(
  pool: Pool,
  thresholds: SnapshotThresholds,
  asOfTradeDate: string | null,
  now: () => Date = () => new Date(),
  pools?: MatrixPoolSource,
  foundation?: FoundationSource,
): Promise<GateSnapshot> {
  const matrix = new StoreMatrixSource(pool, new PgProjectionReader(pool, { now }), pools);
  return new PgGateSnapshotSource(pool, matrix, thresholds, now, foundation).gateSnapshot(asOfTradeDate);
}

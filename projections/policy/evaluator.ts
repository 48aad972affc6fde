import type { Pool } from 'pg';
import type { GraySettings } from '../../contracts/gray.js';
import type { AlertThresholds } from '../alerts/evaluate.js';
import { type MatrixPoolSource, StoreMatrixSource } from '../api/adapters.js';
import { type FoundationSource, storeFoundation } from '../api/foundation.js';
import { coverageFromMatrix, PgGateSnapshotSource } from '../api/gate-snapshot.js';
import { PgProjectionReader } from '../api/pg-reader.js';
import type { MatrixSource } from '../api/ports.js';
import type { MatrixView } from '../api/schemas.js';
import {
  type CommandPorts,
  type CommandResult,
  requireText,
  requireTime,
  runCommand,
} from '../commands/handle.js';
import type { GateThresholds } from '../gates/types.js';
import { every, type Loop } from '../runner/loop.js';
import { decideEvaluation, type EvaluationDecision, type Observation } from './decide.js';

/** The processor whose progress is watched: its consumer_offset name and the raw topics it reads. */
export interface WatchedConsumer {
  name: string;
  topics: readonly string[];
}

export interface EvaluatorPorts extends CommandPorts {
  /** The projection tables and the market data the matrix reads. */
  pool: Pool;
}

export interface EvaluateOptions {
  gates: GateThresholds;
  alerts: AlertThresholds;
  /** Without it there is no lag to alert on, and coverage is never judged (see judgedCoverage). */
  consumer?: WatchedConsumer;
  now: number;
  actor?: string;
  minRuns?: number;
  /** The pools pooled modules' coverage is measured against (the status API's). */
  pools?: MatrixPoolSource;
  /** Gray release of the P2 modules: absent, no module moves. */
  gray?: GraySettings;
}

export type EvaluationResult = Omit<EvaluationDecision, 'events'> & CommandResult;

/**
 * One round: observe the store, then decide on the control state at the end of the log and append
 * what was decided in one append (gate verdicts that changed, alerts that are new or cleared, a
 * freeze with its rollback). A steady state appends nothing.
 */
export async function evaluateOnce(
  ports: EvaluatorPorts,
  options: EvaluateOptions,
): Promise<EvaluationResult> {
  const actor = options.actor ?? 'evaluator';
  requireText({ actor });
  requireTime(options.now);
  const observation = await observe(ports, options);
  return runCommand(ports, (state) =>
    decideEvaluation(state, observation, {
      alerts: options.alerts,
      actor,
      now: options.now,
      ...(options.minRuns !== undefined ? { minRuns: options.minRuns } : {}),
      ...(options.gray !== undefined && {
        gray: { settings: options.gray, minCoverage: options.gates.minCoverage },
      }),
    }),
  );
}

/**
 * What the store shows now. The consumer offsets are read before the snapshot and the log's end
 * offsets after it, so a lag of zero means every record appended before the snapshot's reads was
 * already stored when they ran: the coverage it read is not missing rows still being processed.
 */
export async function observe(
  ports: Pick<EvaluatorPorts, 'pool' | 'log'>,
  options: Pick<EvaluateOptions, 'gates' | 'consumer' | 'now' | 'pools'>,
): Promise<Observation> {
  const { consumer } = options;
  const committed = consumer ? await consumerOffsets(ports.pool, consumer) : new Map<string, number>();
  const { snapshot, matrices, gateRuns } = await gateSnapshot(
    ports.pool,
    options.gates,
    options.now,
    options.pools,
    storeFoundation(ports.pool, ports.log),
  );
  const coverage = snapshot.coverage === 'matrix' ? matrices.flatMap(coverageFromMatrix) : null;
  if (!consumer) return { snapshot, coverage, processor: null, gateRuns };
  const ends = await Promise.all(
    consumer.topics.map(
      async (topic) => [topic, await ports.log.endOffsets(topic).catch(() => undefined)] as const,
    ),
  );
  const lagByTopic: Record<string, number> = {};
  for (const [topic, partitions] of ends) {
    // A topic the log cannot describe has an unknown lag: left out, never counted as zero.
    if (partitions === undefined) continue;
    let lag = 0;
    for (const [partition, end] of partitions)
      lag += Math.max(0, end - (committed.get(`${topic}|${partition}`) ?? 0));
    lagByTopic[topic] = lag;
  }
  return { snapshot, coverage, processor: { consumer: consumer.name, lagByTopic }, gateRuns };
}

/** `topic|partition` → next offset the consumer will process (the processor keeps them in the store). */
async function consumerOffsets(pool: Pool, consumer: WatchedConsumer): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ topic: string; partition: number; next_offset: string | number }>(
    'SELECT topic, partition, next_offset FROM consumer_offset WHERE consumer = $1 AND topic = ANY($2::text[])',
    [consumer.name, [...consumer.topics]],
  );
  return new Map(rows.map((r) => [`${r.topic}|${r.partition}`, Number(r.next_offset)]));
}

/**
 * The snapshot `GET /gates/snapshot` serves (same source, same matrix), keeping the matrices it
 * read: they are the coverage the alerts judge, so the status matrix is computed once per round.
 */
async function gateSnapshot(
  pool: Pool,
  thresholds: GateThresholds,
  now: number,
  pools: MatrixPoolSource | undefined,
  foundation: FoundationSource,
) {
  const clock = () => new Date(now);
  const store = new StoreMatrixSource(pool, new PgProjectionReader(pool, { now: clock }), pools);
  const matrices: MatrixView[] = [];
  const recording: MatrixSource = {
    matrix: async (query) => {
      const view = await store.matrix(query);
      matrices.push(view);
      return view;
    },
    explain: (query) => store.explain(query),
  };
  const source = new PgGateSnapshotSource(pool, recording, thresholds, clock, foundation);
  const snapshot = await source.gateSnapshot(null);
  return { snapshot, matrices, gateRuns: await source.gateRuns() };
}

export interface EvaluatorLoopOptions extends Omit<EvaluateOptions, 'now'> {
  everyMs: number;
  now?: () => number;
  /** Called after a round that appended something. */
  onAppended?: (result: EvaluationResult) => void;
  onError?: (err: unknown) => void;
}

/**
 * Evaluates every `everyMs` until stopped. A long-lived process passes its shared `view` in the
 * ports, so the evaluator's decisions and the other commands of the process run one at a time.
 */
export function followEvaluator(ports: EvaluatorPorts, options: EvaluatorLoopOptions): Loop {
  const now = options.now ?? Date.now;
  return every(
    options.everyMs,
    async () => {
      const result = await evaluateOnce(ports, {
        gates: options.gates,
        alerts: options.alerts,
        ...(options.consumer ? { consumer: options.consumer } : {}),
        ...(options.actor !== undefined ? { actor: options.actor } : {}),
        ...(options.minRuns !== undefined ? { minRuns: options.minRuns } : {}),
        now: now(),
      });
      if (result.offsets.length > 0) options.onAppended?.(result);
    },
    options.onError,
  );
}

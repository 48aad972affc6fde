import type { Pool, PoolClient } from 'pg';
import { ValidationError } from '../../contracts/errors.js';
import { withTransaction } from '../../infra/store/pg.js';
import { alertCursorRegressions } from '../commands/cursors.js';
import { verifyControlLog } from '../log/control-check.js';
import { type ControlLogPorts, controlEnd, readControlBatches } from '../log/control-log.js';
import { ControlView } from '../log/control-view.js';
import {
  type ControlState,
  PROJECTION_NAMES,
  PROJECTIONS,
  type ProjectionName,
} from '../reducers/control.js';
import type { CursorsState } from '../reducers/cursors.js';
import { foldFrom, type LoggedEvent, type Reducer } from '../reducers/types.js';
import { loadState, qualified, writeChanges } from '../store/tables.js';
import { every, type Loop } from './loop.js';

export interface RunnerOptions extends ControlLogPorts {
  pool: Pool;
  /** Schema of the tables; unset means the pool's search path (the live tables). */
  schema?: string;
  /** Which projections this runner keeps; all by default. */
  projections?: readonly ProjectionName[];
  /** Events per read and per transaction. */
  batchSize?: number;
}

export interface CatchUpReport {
  /** The lowest checkpoint before and the checkpoint after. */
  from: number;
  to: number;
  /** Events read and folded (0 when already at the end). */
  events: number;
  /** Rows written, all tables together. */
  rows: number;
  /** CursorAdvanced events found behind their cursor (the projection ignored them). */
  regressions: number;
}

type States = Map<ProjectionName, unknown>;

interface Applied {
  states: States;
  positions: Map<ProjectionName, number>;
  events: number;
  rows: number;
  regressions: number;
}

/**
 * Folds the control topic into the projection tables. Each batch is one transaction that writes
 * the rows that changed and moves every projection's checkpoint (projection_checkpoint) with them,
 * so after a crash the tables and their checkpoint are both from before the batch or both after.
 *
 * The state between batches is kept in memory and reloaded from the tables whenever the stored
 * checkpoints are not where this runner left them (first use, another runner, a failed batch).
 * Each projection folds only events at or after its own checkpoint, so a projection added later
 * catches up from 0 beside the others.
 */
export class ProjectionRunner {
  readonly #options: RunnerOptions;
  readonly #names: readonly ProjectionName[];
  readonly #lock: string;
  #positions: Map<ProjectionName, number> | undefined;
  #states: States | undefined;
  #verified = false;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#names = [...new Set(options.projections ?? PROJECTION_NAMES)];
    if (this.#names.length === 0) {
      throw new ValidationError('projection runner', [{ path: 'projections', message: 'at least one' }]);
    }
    this.#lock = `xasset.projections.${options.schema ?? ''}`;
  }

  get projections(): readonly ProjectionName[] {
    return this.#names;
  }

  /** Folds up to the log's end at the time of the call (or `until`), batch by batch. */
  async catchUp(options: { until?: number } = {}): Promise<CatchUpReport> {
    const until = options.until ?? (await controlEnd(this.#options));
    const start = this.#positions ?? (await this.#readCheckpoints(this.#options.pool));
    const highest = Math.max(...start.values());
    // The full check (log start and end) once; after that the end read above is enough, since a
    // log that lost its events under a running runner ends below the checkpoints it wrote.
    if (!this.#verified || highest > until) {
      await verifyControlLog(this.#options, highest);
      this.#verified = true;
    }
    const report: CatchUpReport = {
      from: lowest(start),
      to: lowest(start),
      events: 0,
      rows: 0,
      regressions: 0,
    };
    for (;;) {
      const from = lowest(this.#positions ?? (await this.#readCheckpoints(this.#options.pool)));
      if (from >= until) break;
      // One reader from `from` on, its batches one transaction each; read afresh only when the
      // stored checkpoints turn out to be elsewhere (another runner moved them, or reset them).
      for await (const batch of readControlBatches(this.#options, {
        from,
        until,
        batchSize: this.#options.batchSize ?? 500,
      })) {
        let applied: Applied;
        try {
          applied = await withTransaction(this.#options.pool, (client) => this.#apply(client, batch));
        } catch (err) {
          this.#positions = undefined;
          this.#states = undefined;
          throw err;
        }
        // Adopted only now that the transaction has committed.
        this.#states = applied.states;
        this.#positions = applied.positions;
        report.events += applied.events;
        report.rows += applied.rows;
        report.regressions += applied.regressions;
        const last = batch.at(-1)?.meta.offset ?? from - 1;
        if (lowest(applied.positions) !== last + 1) break;
      }
    }
    report.to = lowest(this.#positions ?? (await this.#readCheckpoints(this.#options.pool)));
    return report;
  }

  /** The in-memory state of the projections, as of the last committed batch. */
  state(): Partial<ControlState> {
    return Object.fromEntries(this.#states ?? []) as Partial<ControlState>;
  }

  /**
   * Catches up again and again, `pollMs` apart, until stopped. With `raiseAlerts`, the cursor
   * regression policy runs at start (to cover a crash between a batch and its alert) and after
   * any catch-up that met a regression; a live runner sets it, a replay never does.
   */
  follow(options: FollowOptions = {}): Loop {
    const now = options.now ?? Date.now;
    const view = options.raiseAlerts ? new ControlView(this.#options) : undefined;
    let alertsDue = true;
    return every(
      options.pollMs ?? 500,
      async () => {
        // A failed catch-up may have committed batches with regressions it could not report.
        const report = await this.catchUp().catch((err: unknown) => {
          alertsDue = true;
          throw err;
        });
        if (report.regressions > 0) alertsDue = true;
        if (view && alertsDue) {
          await alertCursorRegressions(
            { ...this.#options, view },
            { actor: 'projection-runner', now: now() },
          );
        }
        alertsDue = false;
        if (report.events > 0) options.onCaughtUp?.(report);
      },
      options.onError,
    );
  }

  async #apply(client: PoolClient, batch: readonly LoggedEvent[]): Promise<Applied> {
    const { schema } = this.#options;
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.#lock]);
    const stored = await this.#readCheckpoints(client);
    let states = this.#states;
    if (!states || !this.#positions || !samePositions(stored, this.#positions)) {
      states = new Map();
      for (const name of this.#names) states.set(name, await loadState(client, name, schema));
    }
    const first = batch[0]?.meta.offset ?? 0;
    const last = batch.at(-1)?.meta.offset ?? first - 1;
    const nothing = { states, positions: stored, events: 0, rows: 0, regressions: 0 };
    // A checkpoint behind the batch (tables reset under a running runner) would skip events:
    // adopt the stored positions and let the next round read from there.
    if ([...stored.values()].some((p) => p < first)) return nothing;

    const next = new Map(states);
    const positions = new Map(stored);
    let rows = 0;
    let regressions = 0;
    for (const name of this.#names) {
      const position = positions.get(name) ?? 0;
      if (position > last) continue;
      const reducer = PROJECTIONS[name] as Reducer<unknown>;
      const before = next.get(name);
      const state = foldFrom(
        reducer,
        before,
        position <= first ? batch : batch.filter((e) => e.meta.offset >= position),
      );
      rows += await writeChanges(client, name, before as never, state as never, schema);
      if (name === 'cursors') {
        regressions =
          (state as CursorsState).regressions.length - (before as CursorsState).regressions.length;
      }
      next.set(name, state);
      positions.set(name, last + 1);
    }
    await this.#writeCheckpoints(client, positions);
    return { states: next, positions, events: batch.length, rows, regressions };
  }

  async #readCheckpoints(client: Pick<PoolClient, 'query'>): Promise<Map<ProjectionName, number>> {
    const { rows } = await client.query<{ projection: string; next_offset: number }>(
      `SELECT projection, next_offset FROM ${qualified('projection_checkpoint', this.#options.schema)}
       WHERE projection = ANY($1::text[])`,
      [this.#names],
    );
    const stored = new Map(rows.map((r) => [r.projection, Number(r.next_offset)]));
    return new Map(this.#names.map((name) => [name, stored.get(name) ?? 0]));
  }

  async #writeCheckpoints(client: PoolClient, positions: Map<ProjectionName, number>): Promise<void> {
    await client.query(
      `INSERT INTO ${qualified('projection_checkpoint', this.#options.schema)} (projection, next_offset, updated_at)
       SELECT p, o, now() FROM unnest($1::text[], $2::bigint[]) AS t(p, o)
       ON CONFLICT (projection) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
      [[...positions.keys()], [...positions.values()]],
    );
  }
}

export interface FollowOptions {
  pollMs?: number;
  raiseAlerts?: boolean;
  /** The clock stamped on raised alerts. */
  now?: () => number;
  onError?: (err: unknown) => void;
  onCaughtUp?: (report: CatchUpReport) => void;
}

const lowest = (positions: Map<ProjectionName, number>): number => Math.min(...positions.values());

function samePositions(a: Map<ProjectionName, number>, b: Map<ProjectionName, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, position] of a) if (b.get(name) !== position) return false;
  return true;
}

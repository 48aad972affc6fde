import type pg from 'pg';
import { topicDefinitions } from '../../contracts/topics.js';
import type { EventLog } from '../../infra/log/event-log.js';
import { loadMigrations } from '../../infra/migrations/migrate.js';
import type { FoundationInput } from '../gates/phases.js';

/** Where the foundation gate's facts come from: the store's migrations and tables, the log's topics. */
export type FoundationSource = () => Promise<FoundationInput>;

/**
 * The facts of the foundation gate (phase A's exit) as they stand now: migrations this version
 * ships that the store has not applied, topics the log lacks, and the flags and rollback baselines
 * from the flags projection (the offsets evaluateFoundation needs, as the control state has them).
 */
export function storeFoundation(pool: pg.Pool, log: Pick<EventLog, 'listTopics'>): FoundationSource {
  return async () => {
    const [shipped, applied, topics, baselines] = await Promise.all([
      loadMigrations(),
      pool
        .query<{ name: string }>('SELECT name FROM schema_migrations')
        .then((r) => new Set(r.rows.map((row) => row.name))),
      log.listTopics().then((names) => new Set(names)),
      pool.query<{ flags_offset: number | null; rollback_offset: number | null }>(
        `SELECT max(control_offset) AS flags_offset,
                max(control_offset) FILTER (WHERE restored_from_offset IS NOT NULL) AS rollback_offset
           FROM flags_history`,
      ),
    ]);
    const row = baselines.rows[0];
    return {
      migrationsPending: shipped.map((m) => m.name).filter((name) => !applied.has(name)),
      topicsMissing: topicDefinitions()
        .map((t) => t.name)
        .filter((name) => !topics.has(name)),
      flagsOffset: row?.flags_offset ?? null,
      rollbackOffset: row?.rollback_offset ?? null,
    };
  };
}

import type pg from 'pg';
import type { TableName } from '../contracts/normalized/tables.js';
import type { BatchPlan } from './batch.js';
import type { Change } from './sink/pg-sink.js';

/** Revised rows of one endpoint and trade date in one batch. */
export interface DayRevisions {
  apiName: string;
  /** ISO `YYYY-MM-DD`, as the sink binds dates. */
  tradeDate: string;
  revisions: number;
}

/**
 * The rows an upsert revised (changed content on a stored key), counted per source endpoint and
 * trade date. A provisional minute bar made final is written like a revision but is none; rows
 * without a trade date (macro, reference data) belong to no publication day.
 */
export function revisionsByDay(
  plan: BatchPlan,
  changed: ReadonlyMap<TableName, ReadonlyMap<string, boolean>>,
  predicted: ReadonlyMap<TableName, ReadonlyMap<string, Change>>,
  apiOf: ReadonlyMap<string, string>,
): DayRevisions[] {
  const counts = new Map<string, DayRevisions>();
  for (const [table, keys] of changed) {
    const rows = plan.byTable.get(table) ?? [];
    for (const row of rows) {
      if (keys.get(row.key) !== false) continue;
      if (predicted.get(table)?.get(row.key) === 'finalize') continue;
      const tradeDate = row.values.trade_date;
      const apiName = apiOf.get(row.source.topic);
      if (typeof tradeDate !== 'string' || apiName === undefined) continue;
      const id = `${apiName}|${tradeDate}`;
      const entry = counts.get(id);
      if (entry) entry.revisions += 1;
      else counts.set(id, { apiName, tradeDate, revisions: 1 });
    }
  }
  return [...counts.values()];
}

/** Adds a batch's revisions to publication_revision, inside the batch's own transaction. */
export async function recordRevisions(client: pg.ClientBase, days: readonly DayRevisions[]): Promise<void> {
  if (days.length === 0) return;
  await client.query(
    `INSERT INTO publication_revision (api_name, trade_date, revisions)
     SELECT * FROM unnest($1::text[], $2::date[], $3::int[])
     ON CONFLICT (api_name, trade_date) DO UPDATE
       SET revisions = publication_revision.revisions + EXCLUDED.revisions, last_revised_at = now()`,
    [days.map((d) => d.apiName), days.map((d) => d.tradeDate), days.map((d) => d.revisions)],
  );
}

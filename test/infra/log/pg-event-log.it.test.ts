import { PgEventLog } from '../../../infra/log/pg-event-log.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { isolatedSchema, services } from '../../harness/services.js';
import { eventLogContract } from './event-log.contract.js';

for (const [name, url, poolSize] of [
  ['embedded on PostgreSQL 15', () => services().postgresUrl, 4],
  ['embedded on PGlite + TimescaleDB', () => services().timescaleUrl, 1],
] as const) {
  eventLogContract(name, async () => {
    const db = await isolatedSchema(url(), { poolSize });
    await migrate(db.pool, { schema: db.schema });
    return { open: () => new PgEventLog(db.pool, { pollMs: 20 }), cleanup: () => db.drop() };
  });
}

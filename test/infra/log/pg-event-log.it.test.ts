import { PgEventLog } from '../../../infra/log/pg-event-log.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';
import { eventLogContract } from './event-log.contract.js';

for (const [name, url, poolSize] of [
  ['embedded on PostgreSQL 15', () => services().postgresUrl, 4],
  ['embedded on PGlite + TimescaleDB', () => services().timescaleUrl, 1],
] as const) {
  eventLogContract(name, async () => {
    const db: IsolatedDatabase = await isolatedSchema(url(), { poolSize });
    await migrate(db.pool, { schema: db.schema });
    const logs: PgEventLog[] = [];
    const make = () => {
      const log = new PgEventLog(db.pool, { pollMs: 20 });
      logs.push(log);
      return log;
    };
    return {
      log: make(),
      reopen: async () => make(),
      close: async () => {
        await Promise.all(logs.map((l) => l.close()));
        await db.drop();
      },
    };
  });
}

import { SingleObjectCodec } from '../../../infra/codec/single-object-codec.js';
import { PgEventLog } from '../../../infra/log/pg-event-log.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { createSyntheticMarket } from '../../../producers/sandbox/synthetic/index.js';
import { isolatedSchema, services } from '../../harness/services.js';
import { fetchRunSuite } from './run-suite.js';

fetchRunSuite(
  'embedded log on PostgreSQL 15',
  async () => {
    const db = await isolatedSchema(services().postgresUrl);
    await migrate(db.pool, { schema: db.schema });
    const log = new PgEventLog(db.pool, { pollMs: 20 });
    return {
      log,
      codec: (schemas) => new SingleObjectCodec(schemas),
      cleanup: async () => {
        await log.close();
        await db.drop();
      },
    };
  },
  {
    market: () => createSyntheticMarket({ seed: 20_240_101, size: 'tiny' }),
    // Around China's National Day week: open days on both sides of a seven-day holiday.
    range: { from: '20240926', to: '20241011' },
    errorScenarios: true,
  },
);

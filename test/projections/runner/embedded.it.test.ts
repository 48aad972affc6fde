import { topicSchemas } from '../../../contracts/avro/schemas.js';
import { CONTROL_TOPIC } from '../../../contracts/events/control.js';
import { topicDefinitions } from '../../../contracts/topics.js';
import { SingleObjectCodec } from '../../../infra/codec/single-object-codec.js';
import { PgEventLog } from '../../../infra/log/pg-event-log.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { isolatedSchema, services } from '../../harness/services.js';
import { controlPlaneSuite } from './control-plane.suite.js';

for (const [name, url, poolSize, randomEvents] of [
  ['PostgreSQL 15 with the embedded log', () => services().postgresUrl, 4, 400],
  // The default runtime: one PGlite session, so one pooled connection for log, runner and commands.
  ['PGlite + TimescaleDB with the embedded log', () => services().timescaleUrl, 1, 150],
] as const) {
  controlPlaneSuite(
    name,
    async () => {
      const db = await isolatedSchema(url(), { poolSize });
      await migrate(db.pool, { schema: db.schema });
      const log = new PgEventLog(db.pool, { pollMs: 20 });
      await log.ensureTopics(topicDefinitions().filter((t) => t.name === CONTROL_TOPIC));
      return {
        log,
        codec: new SingleObjectCodec(topicSchemas()),
        topic: CONTROL_TOPIC,
        pool: db.pool,
        schema: db.schema,
        cleanup: async () => {
          await log.close();
          await db.drop();
        },
      };
    },
    { randomEvents },
  );
}

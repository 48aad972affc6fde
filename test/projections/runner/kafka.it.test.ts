import { migrate } from '../../../infra/migrations/migrate.js';
import { kafkaControlLog } from '../../harness/kafka-control-log.js';
import { isolatedSchema, services } from '../../harness/services.js';
import { controlPlaneSuite } from './control-plane.suite.js';

controlPlaneSuite(
  'Kafka with the Confluent-API registry (tables on PostgreSQL 15)',
  async () => {
    const { log, codec, topic } = await kafkaControlLog('xasset-projections-it');
    const db = await isolatedSchema(services().postgresUrl);
    await migrate(db.pool, { schema: db.schema });
    return {
      log,
      codec,
      topic,
      pool: db.pool,
      schema: db.schema,
      cleanup: async () => {
        await log.close();
        await db.drop();
      },
    };
  },
  { randomEvents: 300 },
);

import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';
import { topicSchemas } from '../../../contracts/avro/schemas.js';
import { ConfluentCodec } from '../../../infra/codec/confluent-codec.js';
import type { SchemaCodec } from '../../../infra/codec/schema-codec.js';
import { SingleObjectCodec } from '../../../infra/codec/single-object-codec.js';
import type { EventLog } from '../../../infra/log/event-log.js';
import { KafkaEventLog } from '../../../infra/log/kafka-event-log.js';
import { PgEventLog } from '../../../infra/log/pg-event-log.js';
import { PrefixedEventLog } from '../../../infra/log/prefixed-event-log.js';
import { uniqueName } from '../../harness/services.js';

/**
 * Where the CLI children keep their event log, and the same log opened in the test process. Each
 * test gets a log nobody else writes to: the embedded log lives in the test's own schema; on the
 * shared Kafka every topic and consumer group carries a prefix of the test's own.
 */
export interface CrashBackend {
  /** The CLI's log settings. */
  readonly env: Record<string, string>;
  open(pool: pg.Pool): { log: EventLog; codec: SchemaCodec };
  /** Kafka only: the partitions (`<topic>/<partition>`, unprefixed) each live member of a group holds. */
  assignments?(group: string): Promise<string[][]>;
  close(): Promise<void>;
}

export function embeddedBackend(): CrashBackend {
  return {
    env: { XASSET_LOG: 'embedded' },
    open: (pool) => ({ log: new PgEventLog(pool), codec: new SingleObjectCodec(topicSchemas()) }),
    close: async () => {},
  };
}

/**
 * The shared broker and registry, under `XASSET_TOPIC_PREFIX`. The registry subjects are the
 * logical topics' (the codec keeps its schemas per logical topic), the same every checkout of this
 * version registers. Closing deletes the test's topics and groups from the broker.
 */
export function prefixedKafkaBackend(brokers: string[], registryUrl: string): CrashBackend {
  const prefix = `${uniqueName('crash')}.`;
  const logs: EventLog[] = [];
  return {
    env: {
      XASSET_LOG: 'kafka',
      XASSET_KAFKA_BROKERS: brokers.join(','),
      XASSET_REGISTRY_URL: registryUrl,
      XASSET_TOPIC_PREFIX: prefix,
    },
    open: () => {
      const inner = new KafkaEventLog({ brokers, clientId: 'xasset-crash-it', log: () => {} });
      const log = new PrefixedEventLog(inner, prefix);
      logs.push(log);
      return { log, codec: new ConfluentCodec(registryUrl, topicSchemas()) };
    },
    assignments: async (group) => {
      const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const { groups } = await admin.describeGroups([prefix + group]);
        if (groups[0]?.state !== 'Stable') return [];
        return groups[0].members.map((member) => {
          const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
          return Object.entries(decoded?.assignment ?? {}).flatMap(([topic, partitions]) =>
            partitions.map((p) => `${topic.slice(prefix.length)}/${p}`),
          );
        });
      } finally {
        await admin.disconnect();
      }
    },
    close: async () => {
      await Promise.all(logs.map((log) => log.close()));
      const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const groups = (await admin.listGroups()).groups
          .map((g) => g.groupId)
          .filter((g) => g.startsWith(prefix));
        if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
        if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
      } finally {
        await admin.disconnect();
      }
    },
  };
}

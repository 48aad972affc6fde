import type { ServiceAddresses } from './addresses.js';

type Needed = Array<keyof ServiceAddresses['origin']>;

export interface ContainerServices {
  addresses: Partial<Omit<ServiceAddresses, 'origin'>>;
  stop(): Promise<void>;
}

/**
 * The second choice of the harness: when a Docker engine answers, run the same service versions as
 * docker-compose.yml in containers. Returns undefined when no engine answers, quickly, so the
 * harness falls through to local processes (the case on machines without Docker).
 */
export async function startContainers(needed: Needed): Promise<ContainerServices | undefined> {
  if (needed.length === 0) return undefined;
  const tc = await import('testcontainers');
  try {
    await Promise.race([
      tc.getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 10_000)),
    ]);
  } catch {
    return undefined;
  }
  const started: Array<{ stop(): Promise<unknown> }> = [];
  const addresses: ContainerServices['addresses'] = {};
  const { GenericContainer, Wait } = tc;
  if (needed.includes('kafka')) {
    // Kafka advertises the address clients must use, so the host port is chosen before start.
    const { freePort } = await import('../../infra/local/process.js');
    const port = await freePort();
    const kafka = await new GenericContainer('apache/kafka:3.9.2')
      .withExposedPorts({ container: 9092, host: port })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start();
    started.push(kafka);
    addresses.kafkaBrokers = [`127.0.0.1:${port}`];
  }
  if (needed.includes('registry')) {
    const registry = await new GenericContainer('apicurio/apicurio-registry-mem:2.4.2.Final')
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start();
    started.push(registry);
    addresses.registryUrl = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  }
  for (const [name, image] of [
    ['postgres', 'postgres:15'],
    ['timescale', 'timescale/timescaledb:2.23.0-pg15'],
  ] as const) {
    if (!needed.includes(name)) continue;
    const db = await new GenericContainer(image)
      .withExposedPorts(5432)
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' })
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    started.push(db);
    const url = `postgres://postgres@${db.getHost()}:${db.getMappedPort(5432)}/test`;
    if (name === 'postgres') addresses.postgresUrl = url;
    else addresses.timescaleUrl = url;
  }
  return {
    addresses,
    stop: async () => {
      await Promise.all(started.map((c) => c.stop()));
    },
  };
}

/** Where the integration tests find each real service; provided once by the global setup. */
export interface ServiceAddresses {
  kafkaBrokers: string[];
  /** Base URL of a Confluent-API schema registry. */
  registryUrl: string;
  /** PostgreSQL 15 (plain tables). */
  postgresUrl: string;
  /** PostgreSQL with TimescaleDB (hypertables); PGlite serves one connection at a time. */
  timescaleUrl: string;
  /** How each address was obtained: env, testcontainers or local. */
  origin: Record<'kafka' | 'registry' | 'postgres' | 'timescale', 'env' | 'testcontainers' | 'local'>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceAddresses;
  }
}

/** Environment variables that point the tests at services someone else runs. */
export const TEST_ENV = {
  kafka: 'XASSET_TEST_KAFKA_BROKERS',
  registry: 'XASSET_TEST_REGISTRY_URL',
  postgres: 'XASSET_TEST_POSTGRES_URL',
  timescale: 'XASSET_TEST_TIMESCALE_URL',
} as const;

/** The PostgreSQL 15 this machine kind runs before every session (trust auth, database test). */
export const MACHINE_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../infra/local/process.js';
import type { LocalServiceName } from '../../infra/local/service.js';
import { servicesDown, servicesUp } from '../../infra/local/stack.js';
import { MACHINE_POSTGRES_URL, type ServiceAddresses, TEST_ENV } from './addresses.js';
import { startContainers } from './containers.js';

type Kind = keyof ServiceAddresses['origin'];

/**
 * Finds a real instance of every service the integration tests need, in the order DESIGN §8 sets:
 * addresses from the environment, then containers when a Docker engine answers, then processes
 * started here from the project's own scripts (Kafka and the registry from Maven Central jars,
 * PGlite with TimescaleDB from npm) and the machine's PostgreSQL 15. Whatever it started, it stops.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[harness] ${line}`);
  const origin = {} as ServiceAddresses['origin'];
  const found: Partial<Omit<ServiceAddresses, 'origin'>> = {};
  const teardowns: Array<() => Promise<void>> = [];

  const fromEnv = (kind: Kind) => process.env[TEST_ENV[kind]]?.trim() || undefined;
  const kafkaEnv = fromEnv('kafka');
  if (kafkaEnv) found.kafkaBrokers = kafkaEnv.split(',').map((b) => b.trim());
  if (fromEnv('registry')) found.registryUrl = fromEnv('registry');
  if (fromEnv('postgres')) found.postgresUrl = fromEnv('postgres');
  if (fromEnv('timescale')) found.timescaleUrl = fromEnv('timescale');
  for (const kind of ['kafka', 'registry', 'postgres', 'timescale'] as const)
    if (fromEnv(kind)) origin[kind] = 'env';

  // The machine's own PostgreSQL 15 is a real server that is already there: prefer it to a container.
  if (!found.postgresUrl && (await answers(MACHINE_POSTGRES_URL))) {
    found.postgresUrl = MACHINE_POSTGRES_URL;
    origin.postgres = 'env';
  }

  const missing = (['kafka', 'registry', 'postgres', 'timescale'] as const).filter((kind) => !origin[kind]);
  const containers = await startContainers(missing);
  if (containers) {
    log(`containers started for: ${missing.join(', ')}`);
    Object.assign(found, containers.addresses);
    for (const kind of missing) origin[kind] = 'testcontainers';
    teardowns.push(containers.stop);
  } else {
    const local: LocalServiceName[] = [];
    if (missing.includes('kafka')) local.push('kafka');
    if (missing.includes('registry')) local.push('registry');
    if (missing.includes('timescale')) local.push('pglite');
    if (missing.includes('postgres')) {
      throw new Error(
        `no PostgreSQL 15 at ${MACHINE_POSTGRES_URL} and no Docker engine; set ${TEST_ENV.postgres} to a server`,
      );
    }
    if (local.length > 0) {
      const stateDir = await mkdtemp(join(tmpdir(), 'xasset-it-'));
      const ctx = {
        cacheDir: process.env.XASSET_CACHE_DIR || join(homedir(), '.cache', 'tushare-xasset'),
        stateDir,
        log,
      };
      const [kafkaPort, registryPort, pglitePort] = await Promise.all([freePort(), freePort(), freePort()]);
      const ports = { kafka: kafkaPort, registry: registryPort, pglite: pglitePort };
      teardowns.push(async () => {
        await servicesDown(ctx, local);
        await rm(stateDir, { recursive: true, force: true });
      });
      try {
        const started = await servicesUp(ctx, ports, local);
        for (const service of started) {
          if (service.name === 'kafka') found.kafkaBrokers = [service.address];
          if (service.name === 'registry') found.registryUrl = service.address;
          if (service.name === 'pglite') found.timescaleUrl = service.address;
        }
      } catch (err) {
        await Promise.all(teardowns.map((t) => t()));
        throw err;
      }
      for (const kind of missing) origin[kind] = 'local';
    }
  }

  const services = { ...found, origin } as ServiceAddresses;
  log(
    `kafka=${services.kafkaBrokers.join(',')} (${origin.kafka}) registry=${services.registryUrl} (${origin.registry}) ` +
      `postgres=${services.postgresUrl} (${origin.postgres}) timescale=${services.timescaleUrl} (${origin.timescale})`,
  );
  project.provide('services', services);
  return async () => {
    for (const teardown of teardowns.reverse()) await teardown();
  };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { canConnect, freePort, stopRecorded } from '../../infra/local/process.js';
import type { LocalServiceContext, LocalServiceName } from '../../infra/local/service.js';
import { LOCAL_SERVICES, servicesDown, servicesUp } from '../../infra/local/stack.js';

type Drillable = Extract<LocalServiceName, 'kafka' | 'registry'>;

/**
 * A Kafka and a registry of one test file's own, started from the same cached jars as the shared
 * ones (`xasset services`), for drills that stop them: stopping the shared broker would break
 * every other file. Each keeps its data folder across a stop, as a real deployment does.
 */
export interface PrivateStack {
  brokers: string[];
  registryUrl: string;
  /**
   * SIGTERM, then SIGKILL after a few seconds: a broker with clients attached can spend its whole
   * controlled shutdown waiting on them, and a drill is about the outage, not a tidy exit.
   */
  stop(name: Drillable): Promise<void>;
  /** Starts it again on the same port over the same data; resolves once it answers. */
  start(name: Drillable): Promise<number>;
  close(): Promise<void>;
}

export async function startPrivateStack(log: (line: string) => void = () => {}): Promise<PrivateStack> {
  const stateDir = await mkdtemp(join(tmpdir(), 'xasset-drill-'));
  const ctx: LocalServiceContext = {
    cacheDir: process.env.XASSET_CACHE_DIR || join(homedir(), '.cache', 'tushare-xasset'),
    stateDir,
    log: (line) => log(`[drill stack] ${line}`),
  };
  const names: Drillable[] = ['kafka', 'registry'];
  const ports = { kafka: await kafkaPort(), registry: await freePort(), pglite: 0 };
  const close = async () => {
    await servicesDown(ctx, names);
    await rm(stateDir, { recursive: true, force: true });
  };
  const brokers = [LOCAL_SERVICES.kafka.address(ports.kafka)];
  try {
    await servicesUp(ctx, ports, names);
    await coordinatorLoaded(brokers);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    brokers,
    registryUrl: LOCAL_SERVICES.registry.address(ports.registry),
    stop: async (name) => {
      await stopRecorded(stateDir, name, 5_000);
    },
    start: async (name) => {
      const { startupMs } = await LOCAL_SERVICES[name].start(ctx, ports[name]);
      if (name === 'kafka') await coordinatorLoaded(brokers);
      return startupMs;
    },
    close,
  };
}

/** Kafka's controller listens on the port after the broker's: both must be free. */
async function kafkaPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65_535 && !(await canConnect('127.0.0.1', port + 1, 200))) return port;
  }
}

/**
 * A broker that just (re)started answers metadata before its group coordinator has loaded the
 * offsets topic; the product's consumers retry that, but a world's first `migrate` reads the log
 * through a throwaway group. Asking about a group waits (kafkajs retries) until the load is done,
 * so the drill starts from a broker that serves groups.
 */
async function coordinatorLoaded(brokers: string[]): Promise<void> {
  const admin = new Kafka({
    clientId: 'xasset-drill-warmup',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 3_000 },
  }).admin();
  await admin.connect();
  try {
    await admin.describeGroups(['xasset-drill-warmup']);
  } finally {
    await admin.disconnect();
  }
}

import { LocalServiceError } from '../../contracts/errors.js';
import { findRunning, type SpawnSpec, spawnDetached, waitUntil } from './process.js';

/**
 * A real service this project can run on the developer's machine without Docker: fetched once into
 * a cache, started detached on a chosen port, probed until ready, stopped by the pid it recorded.
 */
export interface LocalServiceContext {
  /** Downloads (jars, packaged apps) live here and survive across runs and clones. */
  cacheDir: string;
  /** Pid files, logs and data folders of one running stack. */
  stateDir: string;
  log: (line: string) => void;
}

export interface StartedService {
  name: LocalServiceName;
  /** What a client is given: `host:port` for Kafka, a base URL for HTTP services. */
  address: string;
  pid: number;
  startupMs: number;
}

export type LocalServiceName = 'kafka' | 'registry' | 'pglite';

export interface LocalService {
  readonly name: LocalServiceName;
  /** Idempotent: fetches what the service needs into `ctx.cacheDir` unless it is already there. */
  install(ctx: LocalServiceContext): Promise<void>;
  /** Starts the service on `port`, waits until it answers, and returns its address. */
  start(ctx: LocalServiceContext, port: number): Promise<StartedService>;
  /** The client address of an instance listening on `port`. */
  address(port: number): string;
  /** True when an instance on `port` answers like the real service (not merely an open port). */
  ready(port: number): Promise<boolean>;
  /** The folder holding the service's data, kept across `down`/`up`; removed only by a reset. */
  dataDir(stateDir: string): string;
}

/**
 * A service this stack already started is reused when it answers on the requested port (so
 * `services up` twice is harmless); one that runs but does not answer there is an error, since
 * starting a second copy would fight it over its data folder.
 */
export async function attachIfRunning(
  ctx: LocalServiceContext,
  service: Pick<LocalService, 'name' | 'ready' | 'address'>,
  port: number,
): Promise<StartedService | undefined> {
  const running = await findRunning(ctx.stateDir, service.name);
  if (!running) return undefined;
  if (await service.ready(port)) {
    return { name: service.name, address: service.address(port), pid: running.pid, startupMs: 0 };
  }
  throw new LocalServiceError(
    service.name,
    `already running as pid ${running.pid} but not answering on port ${port}; stop it first`,
  );
}

/**
 * Spawns the service's process detached and waits until it answers like the real thing. The
 * start-up time counts from `since` (default: now), so preparation such as formatting Kafka's
 * storage is included in what `services up` reports.
 */
export async function launch(
  ctx: LocalServiceContext,
  service: Pick<LocalService, 'name' | 'ready' | 'address'>,
  port: number,
  spawn: Omit<SpawnSpec, 'name' | 'stateDir'>,
  options: { timeoutMs: number; since?: number },
): Promise<StartedService> {
  const since = options.since ?? Date.now();
  const proc = await spawnDetached({ ...spawn, name: service.name, stateDir: ctx.stateDir });
  await waitUntil(service.name, () => service.ready(port), {
    timeoutMs: options.timeoutMs,
    pid: proc.pid,
    logFile: proc.logFile,
    intervalMs: 250,
  });
  return { name: service.name, address: service.address(port), pid: proc.pid, startupMs: Date.now() - since };
}

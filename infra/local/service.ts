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
}

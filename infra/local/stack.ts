import { rm } from 'node:fs/promises';
import { kafkaService } from './kafka.js';
import { pgliteService } from './pglite.js';
import { findRunning, stopRecorded } from './process.js';
import { registryService } from './registry.js';
import type { LocalService, LocalServiceContext, LocalServiceName, StartedService } from './service.js';

export const LOCAL_SERVICES: Record<LocalServiceName, LocalService> = {
  kafka: kafkaService,
  registry: registryService,
  pglite: pgliteService,
};

export const SERVICE_NAMES = Object.keys(LOCAL_SERVICES) as LocalServiceName[];

export type ServicePorts = Record<LocalServiceName, number>;

export interface ServiceStatus {
  name: LocalServiceName;
  pid: number | null;
  ready: boolean;
  address: string;
}

/**
 * Installs (first run: downloads) then starts the named services. Installs run one after the other
 * because both JVM services drive Maven over one local repository; starts run together because
 * each mostly waits on its own JVM.
 */
export async function servicesUp(
  ctx: LocalServiceContext,
  ports: ServicePorts,
  names: readonly LocalServiceName[] = SERVICE_NAMES,
): Promise<StartedService[]> {
  for (const name of names) {
    const started = Date.now();
    await LOCAL_SERVICES[name].install(ctx);
    const took = Date.now() - started;
    if (took > 1_000) ctx.log(`${name}: installed in ${(took / 1000).toFixed(1)} s`);
  }
  return Promise.all(
    names.map(async (name) => {
      const service = await LOCAL_SERVICES[name].start(ctx, ports[name]);
      ctx.log(`${name}: ready at ${service.address} (pid ${service.pid}, ${service.startupMs} ms)`);
      return service;
    }),
  );
}

export async function servicesDown(
  ctx: LocalServiceContext,
  names: readonly LocalServiceName[] = SERVICE_NAMES,
): Promise<LocalServiceName[]> {
  const stopped = await Promise.all(
    names.map(async (name) => ((await stopRecorded(ctx.stateDir, name)) ? name : undefined)),
  );
  return stopped.filter((name): name is LocalServiceName => name !== undefined);
}

/**
 * Stops the named services and deletes their data: the only way a local service loses what it
 * kept. The caller asks for the confirmation; this does what it is told.
 */
export async function servicesReset(
  ctx: LocalServiceContext,
  names: readonly LocalServiceName[] = SERVICE_NAMES,
): Promise<{ stopped: LocalServiceName[]; erased: string[] }> {
  const stopped = await servicesDown(ctx, names);
  const erased = names.map((name) => LOCAL_SERVICES[name].dataDir(ctx.stateDir));
  for (const dir of erased) await rm(dir, { recursive: true, force: true });
  return { stopped, erased };
}

export async function servicesStatus(
  ctx: LocalServiceContext,
  ports: ServicePorts,
  names: readonly LocalServiceName[] = SERVICE_NAMES,
): Promise<ServiceStatus[]> {
  return Promise.all(
    names.map(async (name) => {
      const service = LOCAL_SERVICES[name];
      const running = await findRunning(ctx.stateDir, name);
      return {
        name,
        pid: running?.pid ?? null,
        ready: running ? await service.ready(ports[name]) : false,
        address: service.address(ports[name]),
      };
    }),
  );
}

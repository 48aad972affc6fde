import { access, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onceForPom, runMaven } from './maven.js';
import { attachIfRunning, type LocalService, type LocalServiceContext, launch } from './service.js';

/**
 * Apicurio Registry 2.4.2 speaking the Confluent Schema Registry API, its storage an H2 database
 * in a file of the state folder.
 * Confluent's own registry is not on Maven Central; Apicurio is, but only as a library jar, so
 * install() runs Quarkus's build over it (see registry/pom.xml for why this version).
 */
const NAME = 'registry';
const HOST = '127.0.0.1';
const POM = join(dirname(fileURLToPath(import.meta.url)), 'registry', 'pom.xml');

// A cold start is ~10 s on 2 cores; a busy CI runner may be several times slower, and a registry
// that hangs still fails well before a test suite's own timeout.
const START_TIMEOUT_MS = 180_000;

const serviceDir = (ctx: LocalServiceContext) => join(ctx.cacheDir, NAME);
const appDir = (ctx: LocalServiceContext) => join(serviceDir(ctx), 'app');
const runJar = (ctx: LocalServiceContext) => join(appDir(ctx), 'quarkus-run.jar');
/**
 * Where the registry keeps its schemas. Records in Kafka carry schema ids, so the ids must outlive a
 * restart as long as the broker's log does; only `services reset` removes this folder.
 */
export const registryDataDir = (stateDir: string) => join(stateDir, 'registry-data');

export const registryService: LocalService = {
  name: NAME,

  install,

  async start(ctx, port) {
    const attached = await attachIfRunning(ctx, registryService, port);
    if (attached) return attached;

    await install(ctx);
    const dataDir = registryDataDir(ctx.stateDir);
    await mkdir(dataDir, { recursive: true });
    return launch(
      ctx,
      registryService,
      port,
      {
        command: 'java',
        args: [
          '-Xms64m',
          '-Xmx512m',
          '-XX:+ExitOnOutOfMemoryError',
          '-Djava.awt.headless=true',
          // Quarkus binds 0.0.0.0 in prod; a test registry has no business on other interfaces.
          `-Dquarkus.http.host=${HOST}`,
          `-Dquarkus.http.port=${port}`,
          // Already the defaults, pinned so a stray setting cannot turn on Keycloak/OIDC auth or
          // error reporting to Sentry.
          '-Dregistry.auth.enabled=false',
          '-Dquarkus.oidc.tenant-enabled=false',
          '-Dregistry.enable.sentry=false',
          // Sentry's client still initialises on the first request and, finding no DSN, warns that it
          // will do nothing; that is the intended state, so the warning is only noise.
          '-Dquarkus.log.category."io.sentry".level=ERROR',
          '-jar',
          runJar(ctx),
        ],
        // Quarkus reads ./config/application.properties; the state dir cannot hold a stray one.
        cwd: ctx.stateDir,
        // The packaged app's storage is H2 in memory (`%prod` datasource URL from this variable);
        // a file URL keeps it. A plain `-Dquarkus.datasource.jdbc.url` would lose to the profiled key.
        env: { ...isolatedEnv(), REGISTRY_DATASOURCE_URL: `jdbc:h2:file:${join(dataDir, 'registry')}` },
      },
      { timeoutMs: START_TIMEOUT_MS },
    );
  },

  address: addressOf,
  ready: isReady,
  dataDir: registryDataDir,
};

/**
 * Packages the registry once into `<cacheDir>/registry/app`. The marker holds our pom's hash, so
 * pinning another version repackages and an unchanged pom costs nothing.
 */
async function install(ctx: LocalServiceContext): Promise<void> {
  const buildDir = join(serviceDir(ctx), 'build');
  await onceForPom(
    POM,
    serviceDir(ctx),
    async () => {
      await rm(buildDir, { recursive: true, force: true });
      await rm(appDir(ctx), { recursive: true, force: true });
      ctx.log(`${NAME}: packaging Apicurio Registry from Maven Central (first run only, about a minute)`);
      // The build dir is passed in so Maven writes into the cache rather than next to the pom.
      await runMaven(NAME, ['-B', '-q', '-f', POM, 'package', `-Dregistry.buildDir=${buildDir}`]);
      await rename(join(buildDir, 'quarkus-app'), appDir(ctx));
      await rm(buildDir, { recursive: true, force: true });
    },
    () => exists(runJar(ctx)),
  );
}

function addressOf(port: number): string {
  return `http://${HOST}:${port}/apis/ccompat/v7`;
}

async function isReady(port: number): Promise<boolean> {
  // Quarkus opens the port only after storage is initialised, but a JSON array from the ccompat
  // API proves it is this registry answering, not some other server left on the port.
  try {
    const res = await fetch(`${addressOf(port)}/subjects`, {
      headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json' },
      signal: AbortSignal.timeout(2_000),
    });
    if (res.status !== 200) return false;
    return Array.isArray(await res.json());
  } catch {
    return false;
  }
}

/**
 * The registry's built-in config reads dozens of environment variables (HTTP_PORT, AUTH_ENABLED,
 * KAFKA_BOOTSTRAP_SERVERS for its event sink, REGISTRY_DATASOURCE_URL, QUARKUS_*, ...). A
 * developer shell for a Kafka project may well set some of them, so the JVM gets only what it
 * needs to find Java and a locale.
 */
function isolatedEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'JAVA_HOME'];
  const env: NodeJS.ProcessEnv = {};
  for (const key of keep) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

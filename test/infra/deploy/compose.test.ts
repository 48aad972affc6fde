import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARS, loadConfig } from '../../../contracts/config.js';
import { serverProperties } from '../../../infra/local/kafka.js';

/**
 * No Docker engine runs here, so docker-compose.yml and the Dockerfile are never exercised by the
 * integration tests; these checks catch the drift that would otherwise only show in a deployment.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

interface Healthcheck {
  test?: string | string[];
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: string[];
  ports?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
// Merge keys (`<<: *app`) are how the app services share their build and environment.
const compose = parse(composeText, { merge: true }) as Compose;
const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

/** Both spellings compose accepts: a mapping, or a list of NAME=value. */
function envOf(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/**
 * Compose's interpolation as it behaves with none of the variables set: `${VAR:-d}` and `${VAR-d}`
 * give d, `${VAR}` and `$VAR` give '', `$$` is a literal `$`, `${VAR:?msg}` is an error.
 */
function resolveDefaults(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (match === '$$') return '$';
      if (op?.endsWith('?')) throw new Error(`${name} is required without a default: ${arg}`);
      return op ? (arg ?? '') : '';
    },
  );
}

const resolvedEnv = (s: Service) =>
  Object.fromEntries(Object.entries(envOf(s)).map(([k, v]) => [k, resolveDefaults(v)]));

const hasHealthcheck = (s: Service) =>
  !s.healthcheck?.disable &&
  (Array.isArray(s.healthcheck?.test) ? s.healthcheck.test.length > 1 : Boolean(s.healthcheck?.test));

const APP_SERVICES = ['migrate', 'server'] as const;
const INFRA_SERVICES = ['kafka', 'registry', 'timescaledb'] as const;

const harnessText = read('test/harness/containers.ts');
function harnessImage(repository: string): string {
  const match = harnessText.match(new RegExp(`'(${repository.replace('/', '\\/')}:[^']+)'`));
  if (!match?.[1]) throw new Error(`test/harness/containers.ts names no ${repository} image`);
  return match[1];
}
function pomProperty(pomPath: string, property: string): string {
  const match = read(pomPath).match(new RegExp(`<${property}>([^<]+)</${property}>`));
  if (!match?.[1]) throw new Error(`${pomPath} has no <${property}>`);
  return match[1].trim();
}

describe('docker-compose.yml', () => {
  it('defines the infrastructure and the app services', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([...INFRA_SERVICES, ...APP_SERVICES]),
    );
  });

  it('gives every long-running service a healthcheck, which depends_on conditions rely on', () => {
    for (const name of [...INFRA_SERVICES, 'server']) {
      expect(hasHealthcheck(service(name)), `${name} healthcheck`).toBe(true);
    }
  });

  it('starts migrate after healthy infrastructure and the server only after migrations succeeded', () => {
    const migrateDeps = service('migrate').depends_on;
    expect(Array.isArray(migrateDeps)).toBe(false);
    for (const name of INFRA_SERVICES) {
      expect((migrateDeps as Record<string, { condition?: string }>)[name]?.condition).toBe(
        'service_healthy',
      );
    }
    const serverDeps = service('server').depends_on as Record<string, { condition?: string }>;
    expect(serverDeps.migrate?.condition).toBe('service_completed_successfully');
    expect(service('migrate').command).toEqual(['migrate']);
    expect(service('server').command).toEqual(['serve']);
    for (const name of APP_SERVICES) expect(service(name).build, `${name} build`).toBeDefined();
  });

  it('keeps Kafka and TimescaleDB data on declared named volumes', () => {
    for (const [name, target] of [
      ['kafka', '/var/lib/kafka/data'],
      ['timescaledb', '/var/lib/postgresql/data'],
    ] as const) {
      const mount = service(name).volumes?.find((v) => v.split(':')[1] === target);
      expect(mount, `${name} volume at ${target}`).toBeDefined();
      const volume = mount?.split(':')[0] ?? '';
      expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    }
    expect(envOf(service('kafka')).KAFKA_LOG_DIRS).toBe('/var/lib/kafka/data');
  });

  it('passes the app only variables the app reads', () => {
    for (const name of APP_SERVICES) {
      for (const variable of Object.keys(envOf(service(name)))) {
        expect(Object.hasOwn(ENV_VARS, variable), `${name}: ${variable} is not in ENV_VARS`).toBe(true);
      }
    }
  });

  it('runs the app in kafka mode against the compose services', () => {
    for (const name of APP_SERVICES) {
      const env = resolvedEnv(service(name));
      expect(env.XASSET_LOG).toBe('kafka');
      // Each address must name the compose service that provides it, on the port it listens on.
      expect(env.XASSET_KAFKA_BROKERS).toBe('kafka:9092');
      const registry = new URL(env.XASSET_REGISTRY_URL ?? '');
      expect([registry.hostname, registry.port, registry.pathname]).toEqual([
        'registry',
        '8080',
        '/apis/ccompat/v7',
      ]);
      const db = new URL(env.XASSET_DATABASE_URL ?? '');
      expect([db.hostname, db.port]).toEqual(['timescaledb', '5432']);
      // With no .env file, the app's defaults must still match what the database was created with.
      const dbEnv = resolvedEnv(service('timescaledb'));
      expect(decodeURIComponent(db.password)).toBe(dbEnv.POSTGRES_PASSWORD);
      expect(db.pathname).toBe(`/${dbEnv.POSTGRES_DB ?? 'postgres'}`);
    }
  });

  it('gives a server environment that loadConfig() accepts once defaults are filled in', () => {
    const config = loadConfig(resolvedEnv(service('server')));
    expect(config.log).toBe('kafka');
    expect(config.kafka.brokers).toEqual(['kafka:9092']);
    expect(config.server.host).toBe('0.0.0.0');
    // The published port must lead to the port the server listens on.
    const published = service('server').ports?.map((p) => resolveDefaults(p).split(':').at(-1));
    expect(published).toContain(String(config.server.port));
  });

  it('never holds a token, only a reference to the environment', () => {
    expect(composeText).not.toMatch(/[0-9a-f]{40,}/i);
    for (const name of APP_SERVICES) {
      expect(envOf(service(name)).TUSHARE_TOKEN ?? '').toMatch(/^(\$\{TUSHARE_TOKEN(:?-)?\})?$/);
    }
  });

  it('configures the broker as the local KRaft node is, apart from addresses', () => {
    const env = envOf(service('kafka'));
    const local = serverProperties({ port: 9092, controllerPort: 9093, dataDir: '/var/lib/kafka/data' });
    const addressSpecific = new Set(['listeners', 'advertised.listeners', 'controller.quorum.voters']);
    for (const line of local.trim().split('\n')) {
      const [key = '', value] = line.split('=', 2);
      if (addressSpecific.has(key)) continue;
      // The image turns KAFKA_FOO_BAR into foo.bar in its server.properties.
      const variable = `KAFKA_${key.toUpperCase().replaceAll('.', '_')}`;
      expect(env[variable], variable).toBe(value);
    }
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBe('PLAINTEXT://kafka:9092');
    expect(env.CLUSTER_ID).toBeDefined();
  });
});

describe('image versions', () => {
  it('runs the Kafka version the local broker and the harness run', () => {
    const image = service('kafka').image;
    expect(image).toBe(`apache/kafka:${pomProperty('infra/local/kafka/pom.xml', 'kafka.version')}`);
    expect(image).toBe(harnessImage('apache/kafka'));
  });

  it('runs the Apicurio version the local registry and the harness run', () => {
    const image = service('registry').image ?? '';
    const tag = image.split(':')[1] ?? '';
    expect(tag).toContain(pomProperty('infra/local/registry/pom.xml', 'apicurio.version'));
    // Production stores schemas in Kafka (kafkasql); the harness runs the in-memory flavour.
    expect(image.split(':')[0]).toBe('apicurio/apicurio-registry-kafkasql');
    expect(tag).toBe(harnessImage('apicurio/apicurio-registry-mem').split(':')[1]);
  });

  it('runs the TimescaleDB image the harness runs', () => {
    expect(service('timescaledb').image).toBe(harnessImage('timescale/timescaledb'));
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args = (keyword: string) =>
    instructions
      .filter((l) => l.toUpperCase().startsWith(`${keyword} `))
      .map((l) => l.slice(keyword.length + 1).trim());

  it('builds every stage on one Node line that .ci/run proves (the newest LTS, not end-of-life 20)', () => {
    const bases = args('FROM').map((a) => a.split(/\s+/)[0] ?? '');
    expect(bases.length).toBeGreaterThan(0);
    const majors = new Set(bases.map((b) => b.match(/^node:(\d+)(\.|-|$)/)?.[1]));
    expect(majors.size).toBe(1);
    const proven =
      read('.ci/run')
        .match(/^for major in ([\d ]+); do$/m)?.[1]
        ?.split(' ') ?? [];
    expect(proven.length).toBeGreaterThan(0);
    expect([...majors][0]).toBe(proven.at(-1));
  });

  it('installs from the committed lockfile with the committed npm settings', () => {
    expect(args('COPY').some((a) => /package-lock\.json/.test(a) && /\.npmrc/.test(a))).toBe(true);
    expect(args('RUN').some((a) => /\bnpm ci\b/.test(a))).toBe(true);
  });

  it('copies every source folder the app runs from', () => {
    const copied = args('COPY').flatMap((a) =>
      a
        .split(/\s+/)
        .filter((p) => !p.startsWith('--'))
        .slice(0, -1),
    );
    for (const dir of ['contracts', 'producers', 'processors', 'projections', 'infra', 'app', 'bin']) {
      expect(copied, dir).toContain(dir);
    }
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const dir of ['contracts', 'infra', 'app', 'bin', 'package-lock.json', '.npmrc']) {
      expect(ignored, dir).not.toContain(dir);
    }
    expect(ignored).toContain('node_modules');
  });

  it('runs bin/xasset.js as the unprivileged node user', () => {
    const entrypoints = args('ENTRYPOINT');
    expect(JSON.parse(entrypoints.at(-1) ?? 'null')).toEqual(['node', 'bin/xasset.js']);
    expect(args('USER').at(-1)).toBe('node');
    expect(args('HEALTHCHECK').at(-1)).toMatch(/\/health/);
  });
});

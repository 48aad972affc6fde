import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, loadConfig, Secret } from '../../contracts/config.js';
import { ConfigError } from '../../contracts/errors.js';

// Shaped like a real token (56 hex chars), made per run so no token-like value is committed.
const TOKEN = randomBytes(28).toString('hex');

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults to the embedded mode with local service ports', () => {
    const config = loadConfig({});
    expect(config.log).toBe('embedded');
    expect(config.database.url).toBeUndefined();
    expect(config.local).toMatchObject({ kafkaPort: 9092, registryPort: 8081, pglitePort: 5433 });
    expect(config.server.port).toBe(8080);
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      XASSET_LOG: 'kafka',
      XASSET_KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
      XASSET_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
      XASSET_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      XASSET_DATABASE_POOL_SIZE: '3',
      XASSET_HTTP_PORT: '9999',
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(config.database.poolSize).toBe(3);
    expect(config.server.port).toBe(9999);
  });

  it('reports every bad variable at once, by path and variable name', () => {
    const error = configError({ XASSET_LOG: 'carrier-pigeon', XASSET_HTTP_PORT: '70000' });
    expect(error.code).toBe('XASSET_CONFIG_INVALID');
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      'log (XASSET_LOG)',
      'server.port (XASSET_HTTP_PORT)',
    ]);
  });

  it('requires brokers, registry and database in kafka mode', () => {
    const error = configError({ XASSET_LOG: 'kafka' });
    expect(error.issues.map((i) => i.path)).toEqual([
      'kafka.brokers (XASSET_KAFKA_BROKERS)',
      'registry.url (XASSET_REGISTRY_URL)',
      'database.url (XASSET_DATABASE_URL)',
    ]);
  });

  it('rejects brokers that are not host:port', () => {
    const error = configError({ XASSET_KAFKA_BROKERS: 'localhost' });
    expect(error.issues[0]?.path).toBe('kafka.brokers (XASSET_KAFKA_BROKERS)');
  });

  it('never shows the token: not in JSON, not in inspect, not in an error about it', () => {
    const config = loadConfig({ TUSHARE_TOKEN: TOKEN });
    expect(config.tushare.token?.reveal()).toBe(TOKEN);
    expect(JSON.stringify(config)).not.toContain(TOKEN);
    expect(inspect(config, { depth: 10 })).not.toContain(TOKEN);
    expect(String(config.tushare.token)).toBe('***');
    const error = configError({ TUSHARE_TOKEN: TOKEN, TUSHARE_API_URL: TOKEN });
    expect(error.message).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });

  it('treats empty variables as unset, as compose files write them', () => {
    expect(loadConfig({ XASSET_DATABASE_URL: '' }).database.url).toBeUndefined();
  });

  it('maps every variable to a distinct config path', () => {
    const paths = Object.values(ENV_VARS);
    expect(new Set(paths).size).toBe(paths.length);
    expect(new Secret('x').toJSON()).toBe('***');
  });
});

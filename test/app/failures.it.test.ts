import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xassetCli } from '../harness/cli.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

const xasset = (args: string[], env: Record<string, string>) => xassetCli(args, env, 150_000);

/** A port nothing listens on (the first port is reserved and never served). */
const NOWHERE = '127.0.0.1:1';

/**
 * Every failure a user can cause or meet, through the CLI as a process: the exit code the README
 * documents, one `xasset: CODE: …` line naming the input or setting, and no stack trace.
 */
describe('xasset failures a user meets', () => {
  let stateDir: string;
  let db: IsolatedDatabase;
  let kafkaEnv: Record<string, string>;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-failures-'));
    db = await isolatedSchema(services().postgresUrl);
    kafkaEnv = {
      XASSET_LOG: 'kafka',
      XASSET_KAFKA_BROKERS: services().kafkaBrokers.join(','),
      XASSET_REGISTRY_URL: services().registryUrl,
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
    };
  });
  afterAll(async () => {
    await db.drop();
    await rm(stateDir, { recursive: true, force: true });
  });

  const missingDatabase = () => {
    const url = new URL(services().postgresUrl);
    url.pathname = '/xasset_no_such_database';
    return url.toString();
  };

  type Case = {
    what: string;
    args: string[];
    env?: () => Record<string, string>;
    exit: number;
    code: string;
    names: string;
  };
  const cases: Case[] = [
    {
      what: 'the database down',
      args: ['flags', 'show'],
      env: () => ({ XASSET_DATABASE_URL: `postgres://postgres@${NOWHERE}/x` }),
      exit: 1,
      code: 'XASSET_DEPENDENCY_UNAVAILABLE',
      names: 'XASSET_DATABASE_URL',
    },
    {
      what: 'the database missing',
      args: ['run', '--sandbox'],
      env: () => ({ XASSET_DATABASE_URL: missingDatabase() }),
      exit: 2,
      code: 'XASSET_DATABASE_MISSING',
      names: 'xasset_no_such_database',
    },
    {
      what: 'the registry down',
      args: ['migrate'],
      env: () => ({ ...kafkaEnv, XASSET_REGISTRY_URL: `http://${NOWHERE}` }),
      exit: 1,
      code: 'XASSET_DEPENDENCY_UNAVAILABLE',
      names: 'XASSET_REGISTRY_URL',
    },
    {
      what: 'Kafka down',
      args: ['phase', 'show'],
      env: () => ({ ...kafkaEnv, XASSET_KAFKA_BROKERS: NOWHERE }),
      exit: 1,
      code: 'XASSET_DEPENDENCY_UNAVAILABLE',
      names: 'XASSET_KAFKA_BROKERS',
    },
    {
      what: 'an impossible date',
      args: ['gate', 'snapshot', '--as-of', '20240231'],
      exit: 2,
      code: 'XASSET_VALIDATION_FAILED',
      names: '--as-of',
    },
    {
      what: 'a date that is not one',
      args: ['fetch', '--from', '2024-01-02', '--sandbox'],
      exit: 2,
      code: 'XASSET_VALIDATION_FAILED',
      names: '--from',
    },
    {
      what: 'a port that is not a number',
      args: ['sandbox', '--port', 'abc'],
      exit: 2,
      code: 'XASSET_VALIDATION_FAILED',
      names: '--port',
    },
    {
      what: 'a count out of range',
      args: ['demo', '--days', '0'],
      exit: 2,
      code: 'XASSET_VALIDATION_FAILED',
      names: '--days',
    },
    {
      what: 'a bad variable',
      args: ['serve'],
      env: () => ({ XASSET_HTTP_PORT: 'eighty' }),
      exit: 2,
      code: 'XASSET_CONFIG_INVALID',
      names: 'XASSET_HTTP_PORT',
    },
    {
      what: 'a missing fault file',
      args: ['sandbox', '--port', '0', '--faults', join(tmpdir(), 'xasset-no-such-faults.json')],
      exit: 2,
      code: 'XASSET_INPUT_FILE',
      names: '--faults',
    },
    {
      what: 'an unknown option',
      args: ['fetch', '--form', '20240102'],
      exit: 2,
      code: 'XASSET_USAGE',
      names: '--form',
    },
    {
      what: 'an unknown endpoint',
      args: ['fetch', '--apis', 'daly', '--sandbox'],
      exit: 2,
      code: 'XASSET_VALIDATION_FAILED',
      names: 'daly',
    },
  ];

  it.concurrent.each(cases)('$what: exit $exit, one line with $code', async (c) => {
    const result = await xasset(c.args, { XASSET_STATE_DIR: stateDir, ...c.env?.() });
    expect(result.code, result.stderr).toBe(c.exit);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('xasset: '));
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^xasset: ${c.code}: `));
    expect(lines[0]).toContain(c.names);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toContain('"stack"');
  });

  it('shows the stack when asked with XASSET_LOG_LEVEL=debug', async () => {
    const result = await xasset(['flags', 'show'], {
      XASSET_STATE_DIR: stateDir,
      XASSET_DATABASE_URL: `postgres://postgres@${NOWHERE}/x`,
      XASSET_LOG_LEVEL: 'debug',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^xasset: XASSET_DEPENDENCY_UNAVAILABLE: /m);
    expect(result.stderr).toMatch(/^\s+at /m);
  });
});

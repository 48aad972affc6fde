import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_TOPIC } from '../../contracts/events/control.js';
import { RAW_PARTITIONS, topicDefinitions } from '../../contracts/topics.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

const run = promisify(execFile);
// Shaped like a real token (56 hex chars), made per run so no token-like value is committed.
const TOKEN = randomBytes(28).toString('hex');

async function xasset(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/xasset.js', ...args], {
      env: { ...process.env, XASSET_LOG_LEVEL: 'warn', ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The control topic is the system of record: one partition (total order), kept forever. */
async function expectControlTopicShape(): Promise<void> {
  const admin = new Kafka({ brokers: services().kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [CONTROL_TOPIC] });
    expect(topics[0]?.partitions).toHaveLength(1);
    const raw = await admin.fetchTopicMetadata({ topics: ['tushare.raw.daily'] });
    expect(raw.topics[0]?.partitions).toHaveLength(RAW_PARTITIONS);
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: CONTROL_TOPIC }],
    });
    const configs = new Map(resources[0]?.configEntries.map((e) => [e.configName, e.configValue]));
    expect(configs.get('retention.ms')).toBe('-1');
    expect(configs.get('retention.bytes')).toBe('-1');
  } finally {
    await admin.disconnect();
  }
}

describe('xasset CLI in kafka mode, against the real services', () => {
  let db: IsolatedDatabase;
  let env: Record<string, string>;
  let stateDir: string;

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-cli-'));
    env = {
      XASSET_LOG: 'kafka',
      XASSET_KAFKA_BROKERS: services().kafkaBrokers.join(','),
      XASSET_REGISTRY_URL: services().registryUrl,
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: stateDir,
      TUSHARE_TOKEN: TOKEN,
    };
  });
  afterAll(async () => {
    await db.drop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('reports a store without migrations as degraded, then migrate makes it healthy, and a rerun changes nothing', async () => {
    const before = await xasset(['health'], env);
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout).store.migrationsPending.length).toBeGreaterThan(0);

    const migrated = await xasset(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    const report = JSON.parse(migrated.stdout);
    expect(report.migrations.storageMode).toBe('postgresql');
    expect(report.topics).toBe(topicDefinitions().length);
    expect(report.schemasRegistered).toBe(topicDefinitions().length);
    // Phase A's baselines: the flags on record, then a rollback restoring that offset.
    expect(report.baselines.flagsBaseline).toEqual(expect.any(Number));
    expect(report.baselines.rollbackBaseline).toBe(report.baselines.flagsBaseline + 1);

    const again = JSON.parse((await xasset(['migrate'], env)).stdout);
    expect(again.migrations.applied).toEqual([]);
    expect(again.baselines).toEqual({ flagsBaseline: null, rollbackBaseline: null });

    const health = await xasset(['health'], env);
    expect(health.code, health.stdout).toBe(0);
    const parsed = JSON.parse(health.stdout);
    expect(parsed).toMatchObject({ status: 'ok', log: { kind: 'kafka', topicsMissing: [] } });
    expect(parsed.registry.subjects).toBeGreaterThanOrEqual(topicDefinitions().length);
    await expectControlTopicShape();
    for (const output of [before, migrated, health]) {
      expect(output.stdout + output.stderr).not.toContain(TOKEN);
    }
  });

  it('refuses bad configuration with exit code 2, the variable named, and the value not echoed', async () => {
    const bad = await xasset(['health'], { ...env, XASSET_KAFKA_BROKERS: TOKEN });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('XASSET_CONFIG_INVALID');
    expect(bad.stderr).toContain('XASSET_KAFKA_BROKERS');
    expect(bad.stderr).not.toContain(TOKEN);
  });

  it('reports an unreachable log as down', async () => {
    const down = await xasset(['health'], { ...env, XASSET_KAFKA_BROKERS: '127.0.0.1:1' });
    expect(down.code).toBe(1);
    const parsed = JSON.parse(down.stdout);
    expect(parsed.status).toBe('down');
    expect(parsed.log.ok).toBe(false);
  }, 180_000);
});

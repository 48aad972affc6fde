import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicSchemas } from '../../contracts/avro/schemas.js';
import type { ControlEvent } from '../../contracts/events/control.js';
import { DEFAULT_FLAGS, FLAG_NAMES, type FlagName, type RolloutFlags } from '../../contracts/flags.js';
import { ConfluentCodec } from '../../infra/codec/confluent-codec.js';
import { KafkaEventLog } from '../../infra/log/kafka-event-log.js';
import { PrefixedEventLog } from '../../infra/log/prefixed-event-log.js';
import { type ControlLogPorts, readControlBatches } from '../../projections/log/control-log.js';
import { type CliResult, kafkaCliEnv, xassetCli } from '../harness/cli.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

const ADMIN_TOKEN = 'race-admin-token-0123456789';

/** Switches nothing but this test changes (phase moves touch only batch switches of later phases). */
const CLI_SWITCHES: FlagName[] = [
  'universeIndexDailyEnabled',
  'universeDailyBasicEnabled',
  'universeMoneyflowEnabled',
  'p2RealtimeIndexV1',
];
const API_SWITCHES: FlagName[] = ['p2RealtimeEquityEtfV1', 'p2FuturesMicrostructureV1'];

type FlagsChanged = Extract<ControlEvent, { type: 'FlagsChanged' }>;

/**
 * Race-free commands through the real CLI on Kafka (the production log, where the check runs under
 * the store's advisory lock): several `phase advance` and `flags set` processes and `POST /flags`
 * on a running `serve` (whose evaluator and reaper append too), all at once on one fresh store.
 * The log must hold one advance, and every flag change must be built on the flags before it.
 */
describe('concurrent commands from CLI processes and serve, on Kafka', () => {
  let db: IsolatedDatabase;
  let env: Record<string, string>;
  let stateDir: string;
  let serve: ChildProcess | undefined;
  let ports: ControlLogPorts;
  const xasset = (args: string[]) => xassetCli(args, env);

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-race-'));
    const prefix = `race${randomBytes(3).toString('hex')}.`;
    env = {
      ...kafkaCliEnv({ schema: db.schema, stateDir, topicPrefix: prefix }),
      XASSET_ADMIN_TOKEN: ADMIN_TOKEN,
      // The evaluator and the reaper in serve append on their own, as often as this.
      XASSET_HEARTBEAT_MS: '500',
    };
    const log = new PrefixedEventLog(
      new KafkaEventLog({ brokers: services().kafkaBrokers, clientId: 'xasset-race-test' }),
      prefix,
    );
    ports = { log, codec: new ConfluentCodec(services().registryUrl, topicSchemas()) };
  });
  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await new Promise((resolve) => serve?.once('exit', resolve));
    }
    await ports?.log.close();
    await db?.drop();
    await rm(stateDir, { recursive: true, force: true });
  });

  /** `xasset serve --port 0`; resolves with the address it prints once it listens. */
  function startServe(): Promise<string> {
    serve = spawn(process.execPath, ['bin/xasset.js', 'serve', '--port', '0'], {
      env: { ...process.env, XASSET_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const child = serve;
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) =>
        resolve(line.trim()),
      );
    });
  }

  const events = async (): Promise<ControlEvent[]> => {
    const out: ControlEvent[] = [];
    for await (const batch of readControlBatches(ports)) out.push(...batch.map((b) => b.event));
    return out;
  };

  it('one advance, and every flag change built on the one before it', async () => {
    const migrated = await xasset(['migrate']);
    expect(migrated.code, migrated.stderr).toBe(0);
    const address = await startServe();

    const post = async (name: FlagName) => {
      const response = await fetch(`${address}/flags`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ [name]: !DEFAULT_FLAGS[name], reason: `api ${name}` }),
      });
      return { status: response.status, body: await response.json() };
    };
    const [advances, sets, posts] = await Promise.all([
      Promise.all([1, 2, 3].map((i) => xasset(['phase', 'advance', '--actor', `op${i}`]))),
      Promise.all(
        CLI_SWITCHES.map((name) =>
          xasset(['flags', 'set', `${name}=${!DEFAULT_FLAGS[name]}`, '--reason', `cli ${name}`]),
        ),
      ),
      Promise.all(API_SWITCHES.map(post)),
    ]);

    // Exactly one advance went through; the others were refused (on the state the winner left, or
    // after losing the race to it: exit 4) and appended nothing.
    const won = advances.filter((r) => r.code === 0);
    expect(won, advances.map((r: CliResult) => r.stderr).join('\n')).toHaveLength(1);
    for (const lost of advances.filter((r) => r.code !== 0)) {
      expect([1, 4]).toContain(lost.code);
      expect(lost.stderr).toMatch(/XASSET_COMMAND_(REFUSED|CONFLICT)/);
    }
    for (const set of sets) expect(set.code, set.stderr).toBe(0);
    for (const answer of posts) expect(answer.status, JSON.stringify(answer.body)).toBe(200);

    const log = await events();
    const advanced = log.filter((e) => e.type === 'PhaseAdvanced');
    expect(advanced.map((e) => e.payload)).toEqual([{ from: 'A', to: 'B', gate: 'foundation' }]);

    // Each change differs from the flags before it only in its own switch: none undid another.
    const changes = log.filter((e): e is FlagsChanged => e.type === 'FlagsChanged');
    const ours = [...CLI_SWITCHES, ...API_SWITCHES];
    let previous: RolloutFlags | undefined;
    const seen: FlagName[] = [];
    for (const change of changes) {
      const own = ours.find((name) => change.payload.reason.endsWith(` ${name}`));
      if (previous && own) {
        const differs = FLAG_NAMES.filter((name) => change.payload.flags[name] !== previous?.[name]);
        expect(differs, change.payload.reason).toEqual([own]);
        seen.push(own);
      }
      previous = change.payload.flags;
    }
    expect(seen.sort()).toEqual([...ours].sort());
    for (const name of ours) expect(previous?.[name], name).toBe(!DEFAULT_FLAGS[name]);

    // The API serves the same end state once its projection runner has folded the log.
    const served = async () =>
      ((await (await fetch(`${address}/flags`)).json()) as { stored: RolloutFlags }).stored;
    await expect.poll(served, { timeout: 30_000, interval: 500 }).toMatchObject(previous ?? {});
  });
});

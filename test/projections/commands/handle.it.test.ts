import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicSchemas } from '../../../contracts/avro/schemas.js';
import { CONTROL_TOPIC, type ControlEvent } from '../../../contracts/events/control.js';
import type { RolloutFlags } from '../../../contracts/flags.js';
import { topicDefinitions } from '../../../contracts/topics.js';
import { SingleObjectCodec } from '../../../infra/codec/single-object-codec.js';
import type { AppendOptions, EventLog, OutgoingRecord } from '../../../infra/log/event-log.js';
import { PgEventLog } from '../../../infra/log/pg-event-log.js';
import { migrate } from '../../../infra/migrations/migrate.js';
import { setFlags } from '../../../projections/commands/flags.js';
import { DECIDE_ATTEMPTS } from '../../../projections/commands/handle.js';
import { advancePhase } from '../../../projections/commands/phases.js';
import {
  appendControl,
  type ControlLogPorts,
  newControlEvent,
  readControlBatches,
} from '../../../projections/log/control-log.js';
import { foldControlLog } from '../../../projections/log/control-view.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';

const T = Date.parse('2026-03-13T10:00:00.000Z');

/**
 * Another process's command landing exactly between a command's fold and its append: before each
 * conditional append, `rivals` (if any are left) is appended first, unconditionally, through the
 * same real log. The command under test must never append on the state it folded before them.
 */
class RacedLog {
  readonly log: EventLog;
  rivals: ControlEvent[][] = [];

  constructor(inner: EventLog, ports: () => ControlLogPorts) {
    const raced = this;
    this.log = new Proxy(inner, {
      get(target, name, receiver) {
        if (name !== 'append') {
          const value = Reflect.get(target, name, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (topic: string, records: readonly OutgoingRecord[], options?: AppendOptions) => {
          const rival = options?.ifEndIs ? raced.rivals.shift() : undefined;
          if (rival) await appendControl({ ...ports(), log: inner }, rival);
          return target.append(topic, records, options);
        };
      },
    });
  }
}

describe('commands decided on a state another process changed (embedded log, PostgreSQL 15)', () => {
  let db: IsolatedDatabase;
  let inner: PgEventLog;
  let raced: RacedLog;
  let ports: ControlLogPorts;
  const codec = new SingleObjectCodec(topicSchemas());

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    await migrate(db.pool, { schema: db.schema });
    inner = new PgEventLog(db.pool);
    await inner.ensureTopics(topicDefinitions().filter((t) => t.name === CONTROL_TOPIC));
    raced = new RacedLog(inner, () => ports);
    ports = { log: raced.log, codec };
  });
  afterAll(async () => {
    await inner?.close();
    await db?.drop();
  });

  const events = async () => {
    const out: ControlEvent[] = [];
    for await (const batch of readControlBatches({ log: inner, codec }))
      out.push(...batch.map((b) => b.event));
    return out;
  };
  const flagsOff = (name: 'p1Enabled' | 'p2Enabled', flags: RolloutFlags) =>
    newControlEvent(
      'FlagsChanged',
      {
        flags: { ...flags, [name]: false, updatedAt: T },
        reason: 'rival',
        restoredFromOffset: null,
      },
      { actor: 'rival', now: T },
    );

  it("a flag change that lost the race is decided again on the winner's flags: both changes stand", async () => {
    const before = (await foldControlLog(ports)).flags.current;
    expect(before.p1Enabled).toBe(true);
    const moneyflow = !before.universeMoneyflowEnabled;
    // The rival turns p1 off from the same state this command folds.
    raced.rivals = [[flagsOff('p1Enabled', before)]];
    const result = await setFlags(ports, {
      changes: { universeMoneyflowEnabled: moneyflow },
      actor: 'alice',
      reason: 'switch moneyflow',
      now: T + 1,
    });
    expect(result.offsets).toEqual([1]);
    const log = await events();
    expect(log.map((e) => [e.type, e.actor])).toEqual([
      ['FlagsChanged', 'rival'],
      ['FlagsChanged', 'alice'],
    ]);
    // Built on the rival's flags, not on the state first read: p1 stays off.
    expect((log[1] as Extract<ControlEvent, { type: 'FlagsChanged' }>).payload.flags).toMatchObject({
      p1Enabled: false,
      universeMoneyflowEnabled: moneyflow,
    });
  });

  it('a phase advance that lost to the same advance is refused on the new state, nothing appended', async () => {
    const end = (await inner.endOffsets(CONTROL_TOPIC)).get(0);
    raced.rivals = [
      [
        newControlEvent(
          'PhaseAdvanced',
          { from: 'A', to: 'B', gate: 'foundation' },
          { actor: 'rival', now: T },
        ),
      ],
    ];
    await expect(
      advancePhase(ports, {
        actor: 'bob',
        now: T + 2,
        gateVerdict: { gate: 'foundation', passed: true, failures: [] },
      }),
    ).rejects.toMatchObject({
      code: 'XASSET_COMMAND_REFUSED',
      details: { redecidedAt: (end ?? 0) + 1 },
      reasons: [
        'the verdict is for gate foundation; phase B is left through gate p0',
        `decided again on the state before offset ${(end ?? 0) + 1}, after a concurrent change`,
      ],
    });
    const advances = (await events()).filter((e) => e.type === 'PhaseAdvanced');
    expect(advances.map((e) => e.actor)).toEqual(['rival']);
    expect((await foldControlLog(ports)).phases.phase).toBe('B');
  });

  it('a command that keeps losing gives up with a conflict, nothing of it appended', async () => {
    const state = await foldControlLog(ports);
    raced.rivals = Array.from({ length: DECIDE_ATTEMPTS }, (_, i) => [
      newControlEvent(
        'PermissionProbed',
        { apiName: 'daily', passed: true, tushareCode: null, message: `${i}` },
        {
          actor: 'rival',
          now: T,
        },
      ),
    ]);
    await expect(
      setFlags(ports, {
        changes: { p2Enabled: !state.flags.current.p2Enabled },
        actor: 'carol',
        reason: 'x',
        now: T + 3,
      }),
    ).rejects.toMatchObject({ code: 'XASSET_COMMAND_CONFLICT', details: { attempts: DECIDE_ATTEMPTS } });
    const log = await events();
    expect(log.filter((e) => e.actor === 'carol')).toEqual([]);
    expect(log.filter((e) => e.actor === 'rival' && e.type === 'PermissionProbed')).toHaveLength(
      DECIDE_ATTEMPTS,
    );
  });
});

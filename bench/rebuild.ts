/**
 * `npm run bench:rebuild [-- --runs R --json FILE]`: how fast the projections are rebuilt from the
 * control log, next to a plain read of the same log, in one run. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { topicSchemas } from '../contracts/avro/schemas.js';
import { loadConfig } from '../contracts/config.js';
import { CONTROL_TOPIC, type ControlEvent } from '../contracts/events/control.js';
import { DEFAULT_FLAGS } from '../contracts/flags.js';
import { topicDefinitions } from '../contracts/topics.js';
import { ConfluentCodec } from '../infra/codec/confluent-codec.js';
import { appendControl, newControlEvent, readControlBatches } from '../projections/log/control-log.js';
import { dropSchema, rebuildProjections } from '../projections/replay/rebuild.js';
import { formatSummary, startProfile, summarizeProfile } from './profile.js';
import {
  benchKafka,
  benchServices,
  deleteSubjects,
  deleteTopicsWithPrefix,
  environment,
  freshSchema,
  runBench,
  say,
} from './setup.js';

const DEFAULTS = loadConfig({});
const DAY = 86_400_000;
const HEARTBEATS = 6;

/** A daily job's control events: each run started, beating, moving a cursor, finished. */
function runEvents(run: number, start: number): ControlEvent[] {
  const runId = `bench-run-${run}`;
  const now = start + run * DAY;
  const context = (i: number) => ({ actor: 'bench', now: now + i * 1_000 });
  const ymd = new Date(now).toISOString().slice(0, 10).replaceAll('-', '');
  const events: ControlEvent[] = [
    newControlEvent(
      'RunStarted',
      {
        runId,
        chain: 'main',
        batch: 'p0',
        fromDate: ymd,
        toDate: ymd,
        heartbeatTimeoutMs: 60_000,
        pools: [],
        forcePhase: null,
      },
      context(0),
    ),
  ];
  for (let i = 1; i <= HEARTBEATS; i++)
    events.push(newControlEvent('RunHeartbeat', { runId, rowsSoFar: i * 1_000 }, context(i)));
  events.push(
    newControlEvent(
      'CursorAdvanced',
      { cursor: 'universe_index_daily_cursor_v1', value: String(run + 1), previous: String(run), runId },
      context(HEARTBEATS + 1),
    ),
    newControlEvent(
      'RunFinished',
      {
        runId,
        status: 'ok',
        stats: {
          requests: 12,
          pages: 14,
          retries: 0,
          rowsFetched: 6_000,
          rowsEmitted: 6_000,
          errorsByClass: {},
          durationMs: 4_200,
        },
        error: null,
      },
      context(HEARTBEATS + 2),
    ),
  );
  return events;
}

runBench(async (cleanup) => {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { runs: { type: 'string' }, json: { type: 'string' }, profile: { type: 'string' } },
  });
  const runs = Number(values.runs ?? 2_000);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('--runs: an integer ≥ 1');
  const services = benchServices(process.env);
  const id = randomBytes(4).toString('hex');
  const prefix = `bench_${id}.`;
  const topic = prefix + CONTROL_TOPIC;
  const { admin, log } = await benchKafka(services, cleanup);
  cleanup.add('topics', () => deleteTopicsWithPrefix(admin, prefix));
  const definition = topicDefinitions().find((t) => t.name === CONTROL_TOPIC);
  if (!definition) throw new Error('no control topic definition');
  await log.ensureTopics([{ ...definition, name: topic }]);
  const schema = topicSchemas().find((s) => s.topic === CONTROL_TOPIC);
  if (!schema) throw new Error('no control topic schema');
  const codec = new ConfluentCodec(services.registryUrl, [{ ...schema, topic }]);
  cleanup.add('registry subjects', () => deleteSubjects(services.registryUrl, [topic]));
  await codec.prepare([topic]);
  const pool = await freshSchema(
    services.databaseUrl,
    `bench_${id}_rebuild`,
    DEFAULTS.database.poolSize,
    cleanup,
  );
  const env = await environment(admin, pool);
  const ports = { log, codec, topic };

  const start = Date.UTC(2024, 0, 2);
  await appendControl(
    ports,
    newControlEvent(
      'FlagsChanged',
      { flags: { ...DEFAULT_FLAGS, updatedAt: start }, reason: 'baseline', restoredFromOffset: null },
      { actor: 'bench', now: start },
    ),
  );
  for (let run = 0; run < runs; run++) await appendControl(ports, runEvents(run, start));
  const events = 1 + runs * (HEARTBEATS + 3);
  say(`appended ${events} control events (not timed)`);

  let started = performance.now();
  let read = 0;
  for await (const batch of readControlBatches(ports)) read += batch.length;
  const readSeconds = (performance.now() - started) / 1000;

  const stopProfile = values.profile ? await startProfile(values.profile) : undefined;
  started = performance.now();
  const rebuilt = await rebuildProjections({ ...ports, pool });
  const rebuildSeconds = (performance.now() - started) / 1000;
  if (stopProfile) {
    const profile = await stopProfile();
    say(
      `profile of the rebuild written to ${values.profile}\n${formatSummary(summarizeProfile(profile, 30))}`,
    );
  }
  cleanup.add('replay schema', () => dropSchema(pool, rebuilt.schema));
  if (read !== events || rebuilt.report.events !== events)
    throw new Error(`read ${read}, rebuilt ${rebuilt.report.events}; ${events} expected`);

  const loadAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  const ratio = readSeconds / rebuildSeconds;
  const text = [
    `projections rebuild: ${events} control events (${runs} runs: started, ${HEARTBEATS} heartbeats, a cursor, finished)`,
    `environment: ${env.cores} (load ${env.loadAverages.join(' ')} at start, ${loadAtEnd.join(' ')} at end); Node ${env.node}; PostgreSQL ${env.postgres}; Kafka ${env.kafka}`,
    `plain read (readControlBatches, decoded): ${readSeconds.toFixed(2)} s, ${Math.round(read / readSeconds).toLocaleString('en-US')} events/s`,
    `rebuild (rebuildProjections, fresh schema): ${rebuildSeconds.toFixed(2)} s, ${Math.round(events / rebuildSeconds).toLocaleString('en-US')} events/s, ${rebuilt.report.rows} rows written`,
    `ratio rebuild/read: ${ratio.toFixed(2)}`,
  ].join('\n');
  const json = {
    benchmark: 'rebuild',
    events,
    runs,
    environment: { ...env, loadAtEnd },
    read: { seconds: readSeconds, eventsPerSecond: read / readSeconds },
    rebuild: {
      seconds: rebuildSeconds,
      eventsPerSecond: events / rebuildSeconds,
      rows: rebuilt.report.rows,
    },
    ratio,
  };
  return { text, json, jsonPath: values.json };
});

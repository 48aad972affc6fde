import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { fetchClasspath } from './maven.js';
import { runToCompletion } from './process.js';
import { attachIfRunning, type LocalService, type LocalServiceContext, launch } from './service.js';

const NAME = 'kafka';
const HOST = '127.0.0.1';
const POM = join(dirname(fileURLToPath(import.meta.url)), 'kafka', 'pom.xml');

// The JVM's first start on a cold page cache, plus KRaft electing itself, takes several seconds on
// a 2-core machine; a minute leaves room for a busy CI runner without hiding a broker that hangs.
const START_TIMEOUT_MS = 60_000;

const libDir = (ctx: LocalServiceContext) => join(ctx.cacheDir, NAME, 'lib');
/** The broker's log: every topic and its offsets. It outlives `services down`; only a reset removes it. */
export const kafkaDataDir = (stateDir: string) => join(stateDir, 'kafka-data');
const classpath = (ctx: LocalServiceContext) => `${libDir(ctx)}/*`;

/**
 * A cluster id as Kafka's `Uuid.toString()` writes it: 16 random bytes, base64url, no padding.
 * Generated here rather than with `StorageTool random-uuid` to save one JVM start. Kafka refuses
 * ids that begin with '-' (they would parse as a CLI flag), so those are drawn again.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The broker's configuration: one KRaft node that is its own controller, sized for a laptop. */
export function serverProperties(opts: { port: number; controllerPort: number; dataDir: string }): string {
  const { port, controllerPort, dataDir } = opts;
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${controllerPort}`,
    `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    // Clients are given exactly this address back in metadata, so it must be reachable as is.
    `advertised.listeners=PLAINTEXT://${HOST}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // One broker: anything asking for more replicas than that would never become available.
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    // The internal topics default to 50 partitions each; creating them stalls the first consumer
    // group join (and first transaction) by seconds for no benefit on one broker.
    'offsets.topic.num.partitions=1',
    'transaction.state.log.num.partitions=1',
    // The default 3 s wait for more members makes every test's first consume 3 s slower.
    'group.initial.rebalance.delay.ms=0',
    // Two cores: the defaults (3 network, 8 io threads) only add contention.
    'num.network.threads=2',
    'num.io.threads=2',
    'num.recovery.threads.per.data.dir=1',
    'background.threads=2',
    // The cleaner never compacts the active segment, so with the 1 GB default a compacted test
    // topic would never be cleaned; its 128 MB default dedupe buffer would take a sixth of the heap.
    'log.segment.bytes=16777216',
    'log.cleaner.threads=1',
    'log.cleaner.dedupe.buffer.size=16777216',
    'log.retention.check.interval.ms=60000',
  ].join('\n')}\n`;
}

/**
 * log4j 1 (reload4j) configuration: the full INFO log rolls inside the state dir, while only
 * warnings reach stdout, which spawnDetached captures in `kafka.log` next to the pid file.
 */
function log4jProperties(logsDir: string): string {
  return `${[
    'log4j.rootLogger=INFO, file, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.Threshold=WARN',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.appender.file=org.apache.log4j.RollingFileAppender',
    `log4j.appender.file.File=${join(logsDir, 'server.log')}`,
    'log4j.appender.file.MaxFileSize=10MB',
    'log4j.appender.file.MaxBackupIndex=2',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    // These log every request or every partition state change at INFO; noise for a test broker.
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    'log4j.logger.kafka.log.LogCleaner=WARN',
  ].join('\n')}\n`;
}

export const kafkaService: LocalService = {
  name: NAME,

  install,

  async start(ctx, port) {
    const attached = await attachIfRunning(ctx, kafkaService, port);
    if (attached) return attached;

    await install(ctx);
    const started = Date.now();
    const controllerPort = port + 1;
    const dataDir = kafkaDataDir(ctx.stateDir);
    const logsDir = join(ctx.stateDir, 'kafka-logs');
    await mkdir(dataDir, { recursive: true });
    await mkdir(logsDir, { recursive: true });

    const serverFile = join(ctx.stateDir, 'kafka-server.properties');
    const log4jFile = join(ctx.stateDir, 'kafka-log4j.properties');
    await writeFile(serverFile, serverProperties({ port, controllerPort, dataDir }));
    await writeFile(log4jFile, log4jProperties(logsDir));

    const logging = [`-Dlog4j.configuration=file:${log4jFile}`, `-Dkafka.logs.dir=${logsDir}`];
    // The log is the source of truth for the control plane: a data folder that was formatted once
    // is started as it is, with every topic and offset. Only an empty folder (first start, a test
    // harness's own temp state, or `services reset`) gets a new cluster.
    if (!(await isFormatted(dataDir))) {
      ctx.log(`${NAME}: formatting a new, empty log in ${dataDir}`);
      await runToCompletion(
        NAME,
        'java',
        [
          // The formatter only writes two small files; a big heap or JIT warm-up would only slow it.
          '-Xmx128m',
          '-XX:TieredStopAtLevel=1',
          ...logging,
          '-cp',
          classpath(ctx),
          'kafka.tools.StorageTool',
          'format',
          '-t',
          newClusterId(),
          '-c',
          serverFile,
        ],
        { missingHint: 'is a JDK 17+ installed?' },
      );
    }

    return launch(
      ctx,
      kafkaService,
      port,
      {
        command: 'java',
        args: [
          '-Xms256m',
          '-Xmx768m',
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-XX:+ExitOnOutOfMemoryError',
          '-Djava.awt.headless=true',
          ...logging,
          '-cp',
          classpath(ctx),
          'kafka.Kafka',
          serverFile,
        ],
      },
      { timeoutMs: START_TIMEOUT_MS, since: started },
    );
  },

  address: addressOf,
  ready: isReady,
  dataDir: kafkaDataDir,
};

/** StorageTool writes meta.properties last, so its presence means a complete format. */
async function isFormatted(dataDir: string): Promise<boolean> {
  try {
    await access(join(dataDir, 'meta.properties'));
    return true;
  } catch {
    return false;
  }
}

async function install(ctx: LocalServiceContext): Promise<void> {
  await fetchClasspath({ name: NAME, pom: POM, cacheDir: ctx.cacheDir, log: ctx.log });
}

function addressOf(port: number): string {
  return `${HOST}:${port}`;
}

async function isReady(port: number): Promise<boolean> {
  // An open port is not enough: the listener is bound early, but requests are only served once the
  // broker has caught up with the KRaft metadata log. A metadata answer listing this very broker
  // means producers and consumers will work.
  const admin = new Kafka({
    clientId: 'xasset-ready-probe',
    brokers: [addressOf(port)],
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.controller !== null && cluster.brokers.some((b) => b.port === port);
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

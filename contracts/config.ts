import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * A secret that cannot leak by accident: it prints, serializes and inspects as `***`. Only
 * `reveal()` gives the value, and only the Tushare client calls it, to build a request body.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '***';
  }
  toJSON(): string {
    return '***';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret(***)';
  }
}

const port = z.coerce.number().int().min(0).max(65_535);
const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1));
const url = z.url();
const positiveInt = z.coerce.number().int().positive();

/** The processor's consumer name unless XASSET_PROCESSOR_NAME / --processor-name gives another. */
export const DEFAULT_PROCESSOR_NAME = 'xasset-processor';
const ratio = z.coerce.number().min(0).max(1);
/** `daily=500,fut_daily=120`: per-endpoint calls per minute, overriding the default. */
const perEndpointRates = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[a-z0-9_]+=\d+$/, 'expected api_name=callsPerMinute')))
  .transform((pairs) =>
    Object.fromEntries(pairs.map((p) => p.split('=') as [string, string]).map(([k, v]) => [k, Number(v)])),
  )
  .pipe(z.record(z.string(), z.number().int().positive()));

/** A comma-separated list of ts_codes or market names, upper case as Tushare writes them. */
const codeList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[A-Z0-9][A-Z0-9._-]*$/, 'expected upper-case codes')).min(1));

/** The major pairs FXCM serves through Tushare's fx_daily: P1's default whitelist. */
export const DEFAULT_FX_PAIRS = [
  'USDCNH.FXCM',
  'EURUSD.FXCM',
  'USDJPY.FXCM',
  'GBPUSD.FXCM',
  'AUDUSD.FXCM',
  'USDCHF.FXCM',
  'USDCAD.FXCM',
  'NZDUSD.FXCM',
] as const;

/** The one configuration object: read from the environment once at start, validated, passed down. */
export const ConfigSchema = z.object({
  /** Where the event log lives: a PostgreSQL table (embedded) or Kafka with a schema registry. */
  log: z.enum(['embedded', 'kafka']),
  database: z.object({
    /** Absent in embedded mode means: run PGlite with TimescaleDB in-process on `dataDir`. */
    url: url.optional(),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, 'lower-case SQL identifier')
      .default('public'),
    poolSize: z.coerce.number().int().min(1).max(100).default(8),
    /** minute_bar chunks older than this many days are compressed (TimescaleDB); 0 turns it off. */
    minuteCompressAfterDays: z.coerce.number().int().min(0).max(3650).default(30),
  }),
  kafka: z.object({
    brokers: csv.optional(),
    clientId: z.string().min(1).default('tushare-xasset'),
    /** Prefix of every topic and consumer group, to share one cluster between deployments. */
    topicPrefix: z
      .string()
      .regex(/^[a-zA-Z0-9._-]*$/, 'letters, digits, dot, underscore or dash')
      .max(100)
      .default(''),
  }),
  registry: z.object({ url: url.optional() }),
  tushare: z.object({
    token: z
      .string()
      .min(1)
      .transform((t) => new Secret(t))
      .optional(),
    apiUrl: url.default('http://api.tushare.pro'),
    /** Tushare's limits depend on the account's points; 200 a minute suits a 2000-point account. */
    callsPerMinute: positiveInt.default(200),
    rateLimits: perEndpointRates.default({}),
    /** The minute Tushare's limits count over; shorter only against a sandbox with the same window. */
    rateWindowMs: positiveInt.default(60_000),
    /** Attempts per call on transient failures (network, timeout, 5xx, rate-limit answers). */
    maxAttempts: positiveInt.max(20).default(6),
    timeoutMs: positiveInt.default(30_000),
    /** Pages one query may return at most; more means a broken server, not a big answer. */
    pageCap: positiveInt.default(1_000),
  }),
  sandbox: z.object({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(7800),
    seed: z.coerce.number().int().nonnegative().default(20_240_101),
    size: z.enum(['tiny', 'small', 'default']).default('default'),
    /** A folder of recorded Tushare output to serve instead of the synthetic market. */
    recordedDir: z.string().min(1).optional(),
    /** A JSON file of faults to inject per endpoint (see the README). */
    faultsFile: z.string().min(1).optional(),
  }),
  pipeline: z.object({
    heartbeatMs: positiveInt.default(5_000),
    /** A run whose last heartbeat is older than this is closed as abandoned. */
    heartbeatTimeoutMs: positiveInt.default(120_000),
    /**
     * How long a running command waits out Kafka, the registry or the database going away (a
     * restart, a failover) before it fails: retries back off up to this, then the error stands.
     */
    outagePatienceMs: z.coerce.number().int().min(0).max(3_600_000).default(120_000),
    /** Raw records per processor batch (one transaction). */
    processBatchSize: positiveInt.max(100_000).default(5_000),
    /**
     * The processor's consumer name: its Kafka consumer group and its consumer_offset rows.
     * Instances under one name share the partitions; another name reads the same topics afresh.
     */
    processorName: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" or "-", at most 100')
      .default(DEFAULT_PROCESSOR_NAME),
    /** Log partitions the processor works on at once, each with its own database connection. */
    processConcurrency: positiveInt.max(64).default(4),
  }),
  universe: z.object({
    /** P1's FX whitelist, checked against fx_obasic: a pair it does not serve is a config error. */
    fxPairs: codeList.default([...DEFAULT_FX_PAIRS]),
    /** index_daily's pool: the indexes of index_basic published on these markets… */
    indexMarkets: codeList.default(['SSE', 'SZSE', 'CSI']),
    /** …or exactly these index codes (checked against index_basic). */
    indexCodes: codeList.optional(),
    /** Index codes a run adds to index_daily (分片): the wave catches up across runs. */
    indexShardSize: positiveInt.default(40),
    /** First day a fresh store backfills (YYYYMMDD); absent: `historyDays` before today. */
    historyFrom: z
      .string()
      .regex(/^\d{8}$/, 'expected YYYYMMDD')
      .optional(),
    historyDays: positiveInt.max(20_000).default(30),
  }),
  /** Late and corrected data (README, "Publication states"). */
  publication: z.object({
    /**
     * The re-check window: every daily run fetches the last this many open days at or before each
     * trade-date endpoint's cursor again, so rows published late and values corrected within the
     * window are caught; 0 turns it off.
     */
    recheckDays: z.coerce.number().int().min(0).max(30).default(0),
    /** How far back (calendar days before today) a daily run looks for partial days to fetch again. */
    partialLookbackDays: z.coerce.number().int().min(0).max(365).default(30),
  }),
  gates: z.object({
    requiredDays: positiveInt.max(60).default(3),
    minCoverage: ratio.default(0.98),
    /**
     * The roadmap's baseline boundary, as a control-log offset: runs started before it (the runs of
     * a known-broken period) count neither for nor against a gate.
     */
    baselineOffset: z.coerce.number().int().nonnegative().optional(),
  }),
  /** Gray release of the P2 modules (DESIGN §10, contracts/gray.ts). */
  gray: z.object({
    /** Canary codes of every module's pool; absent: `canaryShare` of each pool. */
    canaryCodes: codeList.optional(),
    canaryShare: ratio.default(0.05),
    /** The shares between canary and full, e.g. `0.25,0.5`; empty: canary, then full. */
    shares: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
          .map(Number),
      )
      .pipe(z.array(z.number().gt(0).lt(1)))
      .default([0.25, 0.5]),
    /** Clean trading days a stage needs on its own pool before the evaluator promotes it. */
    requiredDays: positiveInt.max(60).default(3),
  }),
  alerts: z.object({
    maxFailureRate: ratio.default(0.2),
    minCoverage: ratio.default(0.95),
    maxRunningResidue: z.coerce.number().int().nonnegative().default(0),
    maxConsumerLag: z.coerce.number().int().nonnegative().default(100_000),
  }),
  local: z.object({
    /** Downloaded jars and packaged apps; shared by every clone on the machine. */
    cacheDir: z.string().min(1),
    /** Pid files, logs and data of services and embedded storage. */
    stateDir: z.string().min(1),
    kafkaPort: port.default(9092),
    registryPort: port.default(8081),
    pglitePort: port.default(5433),
  }),
  server: z.object({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8080),
    /**
     * Where `fetch`, `process` and `run` serve their own /metrics while they work (the Tushare,
     * fetch and processor families and the process's); none by default. `serve` has /metrics on its
     * API port.
     */
    metricsPort: port.optional(),
    /** Bearer token for POST routes; without it the API is read-only. */
    adminToken: z
      .string()
      .min(16, 'at least 16 characters')
      .transform((t) => new Secret(t))
      .optional(),
  }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Environment variable → config path. The README's configuration table and docker-compose.yml use
 * exactly these names; a test checks that they stay in step.
 */
export const ENV_VARS = {
  XASSET_LOG: 'log',
  XASSET_DATABASE_URL: 'database.url',
  XASSET_DATABASE_SCHEMA: 'database.schema',
  XASSET_DATABASE_POOL_SIZE: 'database.poolSize',
  XASSET_KAFKA_BROKERS: 'kafka.brokers',
  XASSET_KAFKA_CLIENT_ID: 'kafka.clientId',
  XASSET_TOPIC_PREFIX: 'kafka.topicPrefix',
  XASSET_REGISTRY_URL: 'registry.url',
  TUSHARE_TOKEN: 'tushare.token',
  TUSHARE_API_URL: 'tushare.apiUrl',
  TUSHARE_CALLS_PER_MINUTE: 'tushare.callsPerMinute',
  TUSHARE_RATE_LIMITS: 'tushare.rateLimits',
  TUSHARE_RATE_WINDOW_MS: 'tushare.rateWindowMs',
  TUSHARE_MAX_ATTEMPTS: 'tushare.maxAttempts',
  TUSHARE_TIMEOUT_MS: 'tushare.timeoutMs',
  TUSHARE_PAGE_CAP: 'tushare.pageCap',
  XASSET_SANDBOX_HOST: 'sandbox.host',
  XASSET_SANDBOX_PORT: 'sandbox.port',
  XASSET_SANDBOX_SEED: 'sandbox.seed',
  XASSET_SANDBOX_SIZE: 'sandbox.size',
  XASSET_SANDBOX_RECORDED_DIR: 'sandbox.recordedDir',
  XASSET_SANDBOX_FAULTS: 'sandbox.faultsFile',
  XASSET_HEARTBEAT_MS: 'pipeline.heartbeatMs',
  XASSET_MINUTE_COMPRESS_AFTER_DAYS: 'database.minuteCompressAfterDays',
  XASSET_HEARTBEAT_TIMEOUT_MS: 'pipeline.heartbeatTimeoutMs',
  XASSET_OUTAGE_PATIENCE_MS: 'pipeline.outagePatienceMs',
  XASSET_PROCESS_BATCH_SIZE: 'pipeline.processBatchSize',
  XASSET_PROCESS_CONCURRENCY: 'pipeline.processConcurrency',
  XASSET_PROCESSOR_NAME: 'pipeline.processorName',
  XASSET_FX_PAIRS: 'universe.fxPairs',
  XASSET_INDEX_MARKETS: 'universe.indexMarkets',
  XASSET_INDEX_CODES: 'universe.indexCodes',
  XASSET_INDEX_SHARD_SIZE: 'universe.indexShardSize',
  XASSET_HISTORY_FROM: 'universe.historyFrom',
  XASSET_HISTORY_DAYS: 'universe.historyDays',
  XASSET_RECHECK_DAYS: 'publication.recheckDays',
  XASSET_PARTIAL_LOOKBACK_DAYS: 'publication.partialLookbackDays',
  XASSET_GATE_DAYS: 'gates.requiredDays',
  XASSET_GATE_MIN_COVERAGE: 'gates.minCoverage',
  XASSET_GATE_BASELINE_OFFSET: 'gates.baselineOffset',
  XASSET_GRAY_CANARY_CODES: 'gray.canaryCodes',
  XASSET_GRAY_CANARY_SHARE: 'gray.canaryShare',
  XASSET_GRAY_SHARES: 'gray.shares',
  XASSET_GRAY_DAYS: 'gray.requiredDays',
  XASSET_ALERT_MAX_FAILURE_RATE: 'alerts.maxFailureRate',
  XASSET_ALERT_MIN_COVERAGE: 'alerts.minCoverage',
  XASSET_ALERT_MAX_RUNNING: 'alerts.maxRunningResidue',
  XASSET_ALERT_MAX_LAG: 'alerts.maxConsumerLag',
  XASSET_CACHE_DIR: 'local.cacheDir',
  XASSET_STATE_DIR: 'local.stateDir',
  XASSET_KAFKA_PORT: 'local.kafkaPort',
  XASSET_REGISTRY_PORT: 'local.registryPort',
  XASSET_PGLITE_PORT: 'local.pglitePort',
  XASSET_HTTP_HOST: 'server.host',
  XASSET_HTTP_PORT: 'server.port',
  XASSET_METRICS_PORT: 'server.metricsPort',
  XASSET_ADMIN_TOKEN: 'server.adminToken',
  XASSET_LOG_LEVEL: 'logLevel',
} as const;

export type EnvVarName = keyof typeof ENV_VARS;

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

/**
 * Builds and validates the config from an environment (and overrides from CLI flags, which win).
 * Empty variables count as unset, so `XASSET_DATABASE_URL=` in a compose file means "not given".
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Record<EnvVarName, string>> = {},
): Config {
  const raw: Record<string, unknown> = {
    log: 'embedded',
    database: {},
    kafka: {},
    registry: {},
    tushare: {},
    sandbox: {},
    pipeline: {},
    universe: {},
    publication: {},
    gates: {},
    gray: {},
    alerts: {},
    local: {
      cacheDir: join(homedir(), '.cache', 'tushare-xasset'),
      stateDir: join(process.cwd(), '.xasset'),
    },
    server: {},
  };
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const value = overrides[name as EnvVarName] ?? env[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        // An issue inside a value (brokers.0) belongs to the variable that supplied the whole value.
        const path = issue.path.join('.');
        const [envName, envPath] =
          Object.entries(ENV_VARS).find(([, p]) => path === p || path.startsWith(`${p}.`)) ?? [];
        // Never echo the offending value: it might be the token.
        return { path: envName ? `${envPath} (${envName})` : path, message: issue.message };
      }),
    );
  }
  const config = parsed.data;
  if (config.log === 'kafka') {
    const missing: { path: string; message: string }[] = [];
    if (!config.kafka.brokers)
      missing.push({ path: 'kafka.brokers (XASSET_KAFKA_BROKERS)', message: 'required when log=kafka' });
    if (!config.registry.url)
      missing.push({ path: 'registry.url (XASSET_REGISTRY_URL)', message: 'required when log=kafka' });
    if (!config.database.url)
      missing.push({ path: 'database.url (XASSET_DATABASE_URL)', message: 'required when log=kafka' });
    if (missing.length > 0) throw new ConfigError(missing);
  }
  return config;
}

/**
 * Every error this project throws on purpose is an XassetError with a stable `code`, so callers
 * switch on the code, never on message text. Messages carry context (api_name, topic, offset…)
 * and never the Tushare token: error constructors take no config object for that reason.
 */
export abstract class XassetError extends Error {
  abstract readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }

  toJSON(): { code: string; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export interface ConfigIssue {
  path: string;
  message: string;
}

export class ConfigError extends XassetError {
  readonly code = 'XASSET_CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, {
      issues,
    });
    this.issues = issues;
  }
}

export class ValidationError extends XassetError {
  readonly code = 'XASSET_VALIDATION_FAILED';
  readonly issues: readonly ConfigIssue[];
  constructor(what: string, issues: ConfigIssue[]) {
    super(`invalid ${what}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, {
      what,
      issues,
    });
    this.issues = issues;
  }
}

export class UnknownEndpointError extends XassetError {
  readonly code = 'XASSET_UNKNOWN_ENDPOINT';
  constructor(apiName: string) {
    super(`no endpoint named '${apiName}' in the catalog`, { apiName });
  }
}

export class SchemaIncompatibleError extends XassetError {
  readonly code = 'XASSET_SCHEMA_INCOMPATIBLE';
  constructor(subject: string, reason: string, options?: { cause?: unknown }) {
    super(`schema for subject '${subject}' is not compatible: ${reason}`, { subject }, options);
  }
}

export class SchemaRegistryError extends XassetError {
  readonly code = 'XASSET_SCHEMA_REGISTRY';
  constructor(message: string, details: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, details, options);
  }
}

/** A payload that does not decode: unknown magic byte, unknown fingerprint or schema id, bad Avro. */
export class DecodeError extends XassetError {
  readonly code = 'XASSET_DECODE_FAILED';
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, details, options);
  }
}

/** A value that does not fit the Avro schema it is written with. */
export class EncodeError extends XassetError {
  readonly code = 'XASSET_ENCODE_FAILED';
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, details, options);
  }
}

export class EventLogError extends XassetError {
  readonly code = 'XASSET_EVENT_LOG';
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, details, options);
  }
}

/** One partition whose log no longer holds what a stored position says it should. */
export interface LogGap {
  topic: string;
  partition: number;
  /** The position the database holds (next offset to read). */
  stored: number;
  /** The log's first held offset and its next offset to be written. */
  start: number;
  end: number;
  /** `behind-store`: the log ends before the stored position (recreated or truncated topic);
   * `records-deleted`: records the store still needs are below the log's start (retention). */
  kind: 'behind-store' | 'records-deleted';
}

export const describeGap = (gap: LogGap): string =>
  gap.kind === 'behind-store'
    ? `${gap.topic}/${gap.partition}: the database is at offset ${gap.stored} but the log ends at ${gap.end}`
    : `${gap.topic}/${gap.partition}: the database needs records from offset ${gap.stored} but the log starts at ${gap.start}`;

/**
 * A raw topic went backwards under the processor: continuing would skip the records now at offsets
 * the database already counts as stored, or pretend deleted records were processed.
 */
export class LogBehindStoreError extends XassetError {
  readonly code = 'XASSET_LOG_BEHIND_STORE';
  readonly gaps: readonly LogGap[];
  constructor(consumer: string, gaps: LogGap[]) {
    // One line for the CLI: the first partition in full, the others counted (they are in `gaps`
    // and logged one by one), then the way out.
    const [first, ...rest] = gaps;
    const more = rest.length > 0 ? `; and ${rest.length} more (logged)` : '';
    super(
      `log behind the database on ${gaps.length} partition(s), nothing processed: ` +
        `${first ? describeGap(first) : ''}${more}; if the log is right, re-anchor: ` +
        'xasset process --reset-offsets <topic>[:<partition>]=earliest|<offset> --reason "…"',
      { consumer, gaps },
    );
    this.gaps = gaps;
  }
}

/**
 * The control topic holds fewer events than the projections already folded (it was recreated or
 * lost its start): its fold would be an empty, fresh-looking state instead of the real one.
 */
export class ControlLogLostEventsError extends XassetError {
  readonly code = 'XASSET_CONTROL_LOG_LOST_EVENTS';
  readonly gaps: readonly LogGap[];
  constructor(gaps: LogGap[]) {
    super(
      `the control log lost events: ${gaps.map(describeGap).join('; ')} (projection checkpoints). ` +
        'Restore the control topic from its backup, then run xasset projections verify (README: "When the log went backwards").',
      { gaps },
    );
    this.gaps = gaps;
  }
}

export class MigrationError extends XassetError {
  readonly code = 'XASSET_MIGRATION_FAILED';
  constructor(migration: string, options?: { cause?: unknown }) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`migration ${migration} failed${cause}`, { migration }, options);
  }
}

export class LocalServiceError extends XassetError {
  readonly code = 'XASSET_LOCAL_SERVICE';
  constructor(service: string, message: string, options?: { cause?: unknown }) {
    super(`${service}: ${message}`, { service }, options);
  }
}

/**
 * A failed Tushare call. Details carry the api_name, the hash of the params, the page and Tushare's
 * own code, never the token (the request body is never attached). `retryable` drives the client's
 * backoff: token and permission errors are final, the rest are worth another attempt.
 */
export abstract class TushareError extends XassetError {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    details: { apiName: string; paramsHash?: string; page?: number; tushareCode?: number } & Record<
      string,
      unknown
    >,
    options?: { cause?: unknown },
  ) {
    super(message, details, options);
  }
}

export class TushareTokenError extends TushareError {
  readonly code = 'XASSET_TUSHARE_TOKEN';
  readonly retryable = false;
}

export class TusharePermissionError extends TushareError {
  readonly code = 'XASSET_TUSHARE_PERMISSION';
  readonly retryable = false;
}

export class TushareRateLimitError extends TushareError {
  readonly code = 'XASSET_TUSHARE_RATE_LIMIT';
  readonly retryable = true;
}

/** Network failures, timeouts and 5xx answers. */
export class TushareTransientError extends TushareError {
  readonly code = 'XASSET_TUSHARE_TRANSIENT';
  readonly retryable = true;
}

/** An answer that breaks the protocol: bad JSON, wrong shape, a page repeating, too many pages. */
export class TushareBadResponseError extends TushareError {
  readonly code = 'XASSET_TUSHARE_BAD_RESPONSE';
  readonly retryable = false;
}

/** A raw record a normalizer cannot turn into a row (a poison record: it goes to the DLQ). */
export class NormalizeError extends XassetError {
  readonly code = 'XASSET_NORMALIZE_FAILED';
  constructor(apiName: string, reason: string, details: Record<string, unknown> = {}) {
    super(`${apiName}: ${reason}`, { apiName, ...details });
  }
}

/** A command the control plane refuses (cursor moving back, phase advance without its gate…). */
export class CommandRefusedError extends XassetError {
  readonly code = 'XASSET_COMMAND_REFUSED';
  readonly reasons: readonly string[];
  constructor(command: string, reasons: string[], details: Record<string, unknown> = {}) {
    super(`${command} refused: ${reasons.join('; ')}`, { command, reasons, ...details });
    this.reasons = reasons;
  }
}

/**
 * A conditional append found its partition's end moved: something was appended after the offset
 * the caller decided on. Nothing of this append was written.
 */
export class AppendConflictError extends XassetError {
  readonly code = 'XASSET_APPEND_CONFLICT';
  constructor(topic: string, partition: number, expected: number, actual: number) {
    super(`${topic}/${partition} ends at ${actual}, not at ${expected} as expected; nothing appended`, {
      topic,
      partition,
      expected,
      actual,
    });
  }
}

/**
 * A command that kept losing the race: each time it was decided again on the new state, another
 * command had appended first. Nothing of it was appended; running it again decides it afresh.
 */
export class CommandConflictError extends XassetError {
  readonly code = 'XASSET_COMMAND_CONFLICT';
  constructor(attempts: number, lastDecidedAt: number) {
    super(
      `the control log kept moving while the command was decided (${attempts} attempts, the last on the state before offset ${lastDecidedAt}); nothing appended, run it again`,
      { attempts, lastDecidedAt },
    );
  }
}

export class NotFoundError extends XassetError {
  readonly code = 'XASSET_NOT_FOUND';
  constructor(what: string, id: string) {
    super(`no ${what} '${id}'`, { what, id });
  }
}

/** A file the user named (a flag or a variable) that cannot be read. */
export class InputFileError extends XassetError {
  readonly code = 'XASSET_INPUT_FILE';
  constructor(setting: string, file: string, reason: string, options?: { cause?: unknown }) {
    super(`${setting}: cannot read ${file}: ${reason}`, { setting, file }, options);
  }
}

/**
 * A service the command needs (database, Kafka, registry, Tushare) does not answer. `setting` names
 * where its address comes from, so the message points at what to check.
 */
export class DependencyUnavailableError extends XassetError {
  readonly code = 'XASSET_DEPENDENCY_UNAVAILABLE';
  constructor(dependency: string, setting: string, reason: string, options?: { cause?: unknown }) {
    super(`${dependency} does not answer (${setting}): ${reason}`, { dependency, setting }, options);
  }
}

/** The database server answers, but the database the URL names does not exist there. */
export class DatabaseMissingError extends XassetError {
  readonly code = 'XASSET_DATABASE_MISSING';
  constructor(database: string, options?: { cause?: unknown }) {
    super(
      `database '${database}' does not exist (XASSET_DATABASE_URL): create it (createdb ${database}) or fix the URL`,
      { database },
      options,
    );
  }
}

/** The embedded store is held by another process: two writers on one PGlite folder corrupt it. */
export class StoreLockedError extends XassetError {
  readonly code = 'XASSET_STORE_LOCKED';
  constructor(dir: string, holder: { pid: number; command: string }) {
    super(
      `the embedded store ${dir} is in use by pid ${holder.pid} (${holder.command}); stop that process, or point this one elsewhere with --state-dir or XASSET_DATABASE_URL`,
      { dir, pid: holder.pid, command: holder.command },
    );
  }
}

/** The embedded store's files do not open (a crash mid-write, a different PGlite build…). */
export class StoreOpenError extends XassetError {
  readonly code = 'XASSET_STORE_OPEN_FAILED';
  constructor(dir: string, reason: string, options?: { cause?: unknown }) {
    super(
      `the embedded store ${dir} does not open (${reason}); move the folder aside to start empty, or restore it from a backup`,
      { dir },
      options,
    );
  }
}

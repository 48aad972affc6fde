import { CommanderError } from 'commander';
import { ZodError } from 'zod';
import {
  CommandConflictError,
  CommandRefusedError,
  ConfigError,
  DatabaseMissingError,
  DependencyUnavailableError,
  InputFileError,
  NotFoundError,
  SchemaRegistryError,
  UnknownEndpointError,
  ValidationError,
  XassetError,
} from '../contracts/errors.js';

/**
 * What the process exit code means, for cron and scripts. Documented in the README; every command
 * ends through `exitCodeOf` (errors) or `exitCodeOfRun` (a run's status), nowhere else.
 */
export const EXIT = { ok: 0, failed: 1, badInput: 2, partial: 3, conflict: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A run's status → the exit code: a partial run is not ok, and cron must be able to tell. */
export function exitCodeOfRun(status: 'ok' | 'partial' | 'failed' | 'abandoned' | string): ExitCode {
  if (status === 'ok') return EXIT.ok;
  if (status === 'partial') return EXIT.partial;
  return EXIT.failed;
}

/** Errors the user fixes by changing what they typed or configured. */
const BAD_INPUT: ReadonlyArray<abstract new (...args: never[]) => XassetError> = [
  ConfigError,
  ValidationError,
  UnknownEndpointError,
  InputFileError,
  DatabaseMissingError,
  NotFoundError,
];

/**
 * A command that lost a race to another (projections/commands/handle.ts): refused once decided
 * again on the state the other left, or still losing after every attempt. Nothing of it was
 * appended; a script tells it from a plain refusal and may look at the new state and try again.
 */
const lostRace = (err: XassetError): boolean =>
  err instanceof CommandConflictError ||
  (err instanceof CommandRefusedError && err.details.redecidedAt !== undefined);

export function exitCodeOf(err: XassetError): ExitCode {
  if (lostRace(err)) return EXIT.conflict;
  return BAD_INPUT.some((type) => err instanceof type) ? EXIT.badInput : EXIT.failed;
}

/** Where each dependency's address comes from, to name it when it does not answer. */
export interface DependencySettings {
  databaseUrl?: string;
  kafkaBrokers?: readonly string[];
  registryUrl?: string;
  tushareUrl?: string;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);

interface Errno {
  code?: unknown;
  address?: unknown;
  port?: unknown;
  path?: unknown;
  syscall?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The first errno-shaped error in a cause chain (or inside an AggregateError). */
function errnoIn(err: unknown, depth = 0): (Error & Errno) | undefined {
  if (!(err instanceof Error) || depth > 6) return undefined;
  const e = err as Error & Errno;
  // An AggregateError carries the code of its attempts but not their address: look inside first.
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = errnoIn(inner, depth + 1);
      if (found) return found;
    }
  }
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return e;
  return errnoIn(e.cause, depth + 1);
}

const portOf = (url: string | undefined): string | undefined => {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return (
      parsed.port || (parsed.protocol === 'https:' ? '443' : parsed.protocol === 'http:' ? '80' : '5432')
    );
  } catch {
    return undefined;
  }
};

/** Which dependency a refused connection was aimed at, from its port. */
function dependencyAt(port: string | undefined, settings: DependencySettings): [string, string] | undefined {
  if (port === undefined) return undefined;
  if (port === portOf(settings.databaseUrl)) return ['the database', 'XASSET_DATABASE_URL'];
  if (settings.kafkaBrokers?.some((b) => b.endsWith(`:${port}`))) return ['Kafka', 'XASSET_KAFKA_BROKERS'];
  if (port === portOf(settings.registryUrl)) return ['the schema registry', 'XASSET_REGISTRY_URL'];
  if (port === portOf(settings.tushareUrl)) return ['the Tushare API', 'TUSHARE_API_URL'];
  return undefined;
}

const firstLine = (text: string): string => (text.split('\n', 1)[0] ?? '').slice(0, 300);

/**
 * Any thrown value as a typed error: ours pass through; the shapes that foreign libraries throw for
 * the failures a user meets (a service down, a database missing, a bad value) get our types and a
 * message naming the setting; anything else stays unknown (undefined) and is reported as a bug.
 */
export function typedError(err: unknown, settings: DependencySettings = {}): XassetError | undefined {
  if (err instanceof SchemaRegistryError) {
    // The registry client folds a refused connection into its own error, keeping only the text.
    const code =
      errnoIn(err.cause)?.code ??
      [...CONNECTION_CODES].find((c) => new RegExp(`\\b${c}\\b`).test(err.message));
    if (code !== undefined)
      return new DependencyUnavailableError('the schema registry', 'XASSET_REGISTRY_URL', String(code), {
        cause: err,
      });
    return err;
  }
  if (err instanceof XassetError) return err;
  if (err instanceof ZodError)
    return new ValidationError(
      'input',
      err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & Errno;
  // PostgreSQL: 3D000 invalid_catalog_name is "database does not exist".
  if (e.code === '3D000') {
    const name = /database "([^"]+)"/.exec(e.message)?.[1] ?? 'named in the URL';
    return new DatabaseMissingError(name, { cause: err });
  }
  const errno = errnoIn(err);
  if (errno && CONNECTION_CODES.has(String(errno.code))) {
    const port =
      errno.port !== undefined ? String(errno.port) : (/:(\d+)\b/.exec(errno.message)?.[1] ?? undefined);
    const [what, setting] =
      dependencyAt(port, settings) ??
      (err.name.startsWith('KafkaJS') ? ['Kafka', 'XASSET_KAFKA_BROKERS'] : ['a service', 'its address']);
    return new DependencyUnavailableError(what, setting, firstLine(errno.message), { cause: err });
  }
  // kafkajs gives up on a broker it cannot reach with its own error types, the errno sometimes lost.
  if (/^KafkaJS(Connection|NumberOfRetriesExceeded|BrokerNotFound)/.test(err.name))
    return new DependencyUnavailableError('Kafka', 'XASSET_KAFKA_BROKERS', firstLine(err.message), {
      cause: err,
    });
  return undefined;
}

export interface FailureReport {
  exitCode: ExitCode;
  /** The one line for stderr, newline included. */
  line: string;
  /** The stack and causes, for XASSET_LOG_LEVEL=debug. */
  detail?: string;
}

/**
 * The one way a command ends in failure: one line `xasset: CODE: message`, the exit code the README
 * documents, and the stack only when asked for (it helps a developer, not a user).
 */
export function reportFailure(err: unknown, settings: DependencySettings = {}): FailureReport {
  if (err instanceof CommanderError) {
    // commander has already written its own one-line message (see cli.ts's outputError).
    const helpOrVersion = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(
      err.code,
    );
    return { exitCode: helpOrVersion ? EXIT.ok : EXIT.badInput, line: '' };
  }
  const typed = typedError(err, settings);
  const detail = err instanceof Error ? describeChain(err) : String(err);
  if (!typed) {
    const message = err instanceof Error ? `${err.name}: ${firstLine(err.message)}` : firstLine(String(err));
    return {
      exitCode: EXIT.failed,
      line: `xasset: XASSET_UNEXPECTED: ${message} (XASSET_LOG_LEVEL=debug shows the stack)\n`,
      detail,
    };
  }
  return {
    exitCode: exitCodeOf(typed),
    line: `xasset: ${typed.code}: ${firstLine(typed.message)}\n`,
    detail,
  };
}

function describeChain(err: Error): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 6; depth++) {
    parts.push(current.stack ?? `${current.name}: ${current.message}`);
    current = current.cause;
  }
  return `${parts.join('\ncaused by: ')}\n`;
}

/** Whether the user asked for stacks; read from the environment because the config may be what failed. */
export const wantsStacks = (env: Record<string, string | undefined> = process.env): boolean =>
  env.XASSET_LOG_LEVEL === 'debug' || env.XASSET_LOG_LEVEL === 'trace';

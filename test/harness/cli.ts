import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { services } from './services.js';

const execFileAsync = promisify(execFile);

export interface CliResult {
  /** The exit code (a signal name when the process was killed). */
  code: number | string;
  stdout: string;
  stderr: string;
}

/**
 * `xasset …` as a user runs it: a separate process, the environment of the test plus `env`, and
 * its exit code, stdout and stderr whatever the outcome (a failing command is a result, not a throw).
 */
export async function xassetCli(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 240_000,
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['bin/xasset.js', ...args], {
      env: { ...process.env, XASSET_LOG_LEVEL: 'warn', ...env },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | string; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A CLI run with its stdout parsed as JSON, or null when it is not JSON (a failure's empty stdout). */
export async function xassetCliJson(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs?: number,
): Promise<CliResult & { json: unknown }> {
  const out = await xassetCli(args, env, timeoutMs);
  let json: unknown = null;
  try {
    json = JSON.parse(out.stdout);
  } catch {
    json = null;
  }
  return { ...out, json };
}

/**
 * The CLI's environment on the shared services in Kafka mode (services(): the harness's broker,
 * registry and PostgreSQL), with the test's own schema, state folder and topic prefix, on the tiny
 * synthetic market: what every CLI test on Kafka starts from, before its own settings.
 */
export function kafkaCliEnv(own: {
  schema: string;
  stateDir: string;
  topicPrefix: string;
}): Record<string, string> {
  const { kafkaBrokers, registryUrl, postgresUrl } = services();
  return {
    XASSET_LOG: 'kafka',
    XASSET_KAFKA_BROKERS: kafkaBrokers.join(','),
    XASSET_REGISTRY_URL: registryUrl,
    XASSET_DATABASE_URL: postgresUrl,
    XASSET_DATABASE_SCHEMA: own.schema,
    XASSET_TOPIC_PREFIX: own.topicPrefix,
    XASSET_STATE_DIR: own.stateDir,
    XASSET_SANDBOX_SIZE: 'tiny',
  };
}

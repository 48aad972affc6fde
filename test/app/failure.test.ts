import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT, exitCodeOfRun, reportFailure, typedError, wantsStacks } from '../../app/failure.js';
import {
  CommandRefusedError,
  ConfigError,
  SchemaRegistryError,
  StoreLockedError,
  ValidationError,
} from '../../contracts/errors.js';

const settings = {
  databaseUrl: 'postgres://u@db.example:6543/x',
  kafkaBrokers: ['k1:9093', 'k2:9094'],
  registryUrl: 'http://reg.example:8085',
  tushareUrl: 'http://127.0.0.1:7801',
};

const refused = (port: number) =>
  Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), {
    code: 'ECONNREFUSED',
    address: '127.0.0.1',
    port,
  });

describe('reportFailure', () => {
  it.each([
    [
      'a config error',
      new ConfigError([{ path: 'x (X)', message: 'bad' }]),
      EXIT.badInput,
      'XASSET_CONFIG_INVALID',
    ],
    [
      'a validation error',
      new ValidationError('command line', [{ path: '--from', message: 'no' }]),
      EXIT.badInput,
      'XASSET_VALIDATION_FAILED',
    ],
    [
      'a refused command',
      new CommandRefusedError('phase advance', ['gate_failed']),
      EXIT.failed,
      'XASSET_COMMAND_REFUSED',
    ],
    [
      'a locked store',
      new StoreLockedError('/s', { pid: 42, command: 'xasset demo' }),
      EXIT.failed,
      'XASSET_STORE_LOCKED',
    ],
    ['a database that refuses', refused(6543), EXIT.failed, 'XASSET_DEPENDENCY_UNAVAILABLE'],
    [
      'a missing database',
      Object.assign(new Error('database "nope" does not exist'), { code: '3D000' }),
      EXIT.badInput,
      'XASSET_DATABASE_MISSING',
    ],
    [
      'a zod error',
      z.object({ port: z.number() }).safeParse({ port: 'x' }).error,
      EXIT.badInput,
      'XASSET_VALIDATION_FAILED',
    ],
    [
      'an unknown error',
      new TypeError('x is not a function\n    at somewhere'),
      EXIT.failed,
      'XASSET_UNEXPECTED',
    ],
  ])('%s: exit code and one line', (_what, err, exitCode, code) => {
    const report = reportFailure(err, settings);
    expect(report.exitCode).toBe(exitCode);
    expect(report.line).toMatch(new RegExp(`^xasset: ${code}: [^\\n]+\\n$`));
    expect(report.line).not.toContain('    at ');
  });

  it('names the setting behind a refused connection from its port', () => {
    expect(typedError(refused(6543), settings)?.message).toContain('XASSET_DATABASE_URL');
    expect(typedError(refused(9094), settings)?.message).toContain('XASSET_KAFKA_BROKERS');
    expect(typedError(refused(8085), settings)?.message).toContain('XASSET_REGISTRY_URL');
    expect(typedError(refused(7801), settings)?.message).toContain('TUSHARE_API_URL');
    // Node 20 wraps the attempts on a dual-stack name in an AggregateError.
    const aggregate = Object.assign(new AggregateError([refused(6543)], ''), { code: 'ECONNREFUSED' });
    expect(typedError(aggregate, settings)?.message).toContain('XASSET_DATABASE_URL');
  });

  it('a registry that does not answer is unavailable, one that refuses a schema stays a registry error', () => {
    const down = new SchemaRegistryError('refused subject s', {}, { cause: refused(8085) });
    expect(typedError(down, settings)?.code).toBe('XASSET_DEPENDENCY_UNAVAILABLE');
    const folded = new SchemaRegistryError(
      'refused subject s: Error, status 400: connect ECONNREFUSED 127.0.0.1:1',
      {},
    );
    expect(typedError(folded, settings)?.code).toBe('XASSET_DEPENDENCY_UNAVAILABLE');
    const refusing = new SchemaRegistryError('refused subject s: 422', {});
    expect(typedError(refusing, settings)).toBe(refusing);
  });

  it('kafkajs giving up is Kafka unavailable', () => {
    const err = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    err.name = 'KafkaJSNumberOfRetriesExceeded';
    expect(typedError(err, settings)?.message).toMatch(/^Kafka does not answer \(XASSET_KAFKA_BROKERS\)/);
  });

  it('keeps the stack for debug, and help is not a failure', () => {
    expect(reportFailure(new TypeError('boom')).detail).toContain('TypeError: boom');
    expect(reportFailure(new CommanderError(0, 'commander.helpDisplayed', '')).exitCode).toBe(EXIT.ok);
    expect(reportFailure(new CommanderError(1, 'commander.unknownOption', 'x')).exitCode).toBe(EXIT.badInput);
    expect(wantsStacks({ XASSET_LOG_LEVEL: 'debug' })).toBe(true);
    expect(wantsStacks({ XASSET_LOG_LEVEL: 'info' })).toBe(false);
  });
});

describe('exitCodeOfRun', () => {
  it.each([
    ['ok', 0],
    ['partial', 3],
    ['failed', 1],
    ['abandoned', 1],
  ])('%s → %i', (status, code) => expect(exitCodeOfRun(status)).toBe(code));
});

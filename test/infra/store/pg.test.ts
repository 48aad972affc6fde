import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../../../contracts/errors.js';
import { isConnectionLoss } from '../../../infra/store/pg.js';

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

describe('isConnectionLoss', () => {
  it('is a lost or refused database connection, however deep in the causes', () => {
    expect(isConnectionLoss(socketError('ECONNREFUSED'))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLoss(new Error('wrapped', { cause: socketError('ECONNRESET') }))).toBe(true);
    expect(
      isConnectionLoss(
        new DependencyUnavailableError('PostgreSQL', 'XASSET_DATABASE_URL', 'gone', {
          cause: socketError('EPIPE'),
        }),
      ),
    ).toBe(true);
  });

  it('is not a Kafka outage, though a refused broker socket is among its causes', () => {
    // What KafkaEventLog.append throws once a broker stayed away past the outage patience.
    const kafka = new DependencyUnavailableError(
      'Kafka',
      'XASSET_KAFKA_BROKERS',
      'append: connection error',
      {
        cause: new Error('KafkaJSNonRetriableError', { cause: socketError('ECONNREFUSED') }),
      },
    );
    expect(isConnectionLoss(kafka)).toBe(false);
    expect(isConnectionLoss(new Error('batch failed', { cause: kafka }))).toBe(false);
  });

  it('is not any other error', () => {
    expect(isConnectionLoss(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isConnectionLoss('ECONNREFUSED')).toBe(false);
  });
});

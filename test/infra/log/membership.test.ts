import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isMembershipLoss } from '../../../infra/log/kafka-event-log.js';

const protocolError = (type: string, message: string) =>
  new KafkaJSProtocolError({ type, code: 25, retriable: false, message } as never);

describe('a lost group membership', () => {
  it('is known by its protocol type', () => {
    expect(
      isMembershipLoss(protocolError('UNKNOWN_MEMBER_ID', 'The coordinator is not aware of this member')),
    ).toBe(true);
    expect(
      isMembershipLoss(protocolError('ILLEGAL_GENERATION', 'Specified group generation id is not valid')),
    ).toBe(true);
  });

  it('is still known once kafkajs has given up on it and kept only the message', () => {
    // kafkajs's retrier wraps a non-retriable protocol error and drops its type (the 1M benchmark's crash).
    const wrapped = new KafkaJSNonRetriableError(
      protocolError('UNKNOWN_MEMBER_ID', 'The coordinator is not aware of this member'),
    );
    expect((wrapped as { type?: string }).type).toBeUndefined();
    expect(isMembershipLoss(wrapped)).toBe(true);
  });

  it('is not a refused request or a broker that went away', () => {
    expect(
      isMembershipLoss(protocolError('TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics')),
    ).toBe(false);
    expect(isMembershipLoss(new Error('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(false);
  });
});

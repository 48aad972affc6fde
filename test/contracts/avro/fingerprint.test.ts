import { describe, expect, it } from 'vitest';
import { fingerprintBytes, rabinFingerprint } from '../../../contracts/avro/fingerprint.js';

// Reference values of the CRC-64-AVRO fingerprint, as published with Avro's own test data.
describe('rabinFingerprint', () => {
  it.each([
    ['"null"', 7195948357588979594n],
    ['"int"', 8247732601305521295n],
  ])('fingerprints %s like the Avro reference implementation', (schema, expected) => {
    expect(BigInt.asIntN(64, rabinFingerprint(schema))).toBe(expected);
  });

  it('differs for schemas that differ by one character', () => {
    expect(rabinFingerprint('"long"')).not.toBe(rabinFingerprint('"lonG"'));
  });

  it('lays the fingerprint out little-endian, as single-object encoding requires', () => {
    expect(fingerprintBytes(0x0102030405060708n).toString('hex')).toBe('0807060504030201');
  });
});

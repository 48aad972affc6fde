import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../../contracts/config.js';
import { XassetError } from '../../../contracts/errors.js';
import { assertAdmin } from '../../../projections/api/auth.js';

const token = randomBytes(18).toString('base64url');
const admin = new Secret(token);

const codeOf = (authorization: string | undefined, secret: Secret | undefined): string | null => {
  try {
    assertAdmin(authorization, secret);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(XassetError);
    expect(String((err as Error).message)).not.toContain(token);
    return (err as XassetError).code;
  }
};

describe('assertAdmin', () => {
  it('admits the configured token, with any case of the scheme', () => {
    expect(codeOf(`Bearer ${token}`, admin)).toBeNull();
    expect(codeOf(`bearer ${token}`, admin)).toBeNull();
  });

  it('answers unauthorized without a bearer token', () => {
    expect(codeOf(undefined, admin)).toBe('XASSET_UNAUTHORIZED');
    expect(codeOf('', admin)).toBe('XASSET_UNAUTHORIZED');
    expect(codeOf(`Basic ${token}`, admin)).toBe('XASSET_UNAUTHORIZED');
    expect(codeOf('Bearer', admin)).toBe('XASSET_UNAUTHORIZED');
  });

  it('answers forbidden for another token, even one sharing a prefix', () => {
    expect(codeOf(`Bearer ${token.slice(0, -1)}`, admin)).toBe('XASSET_FORBIDDEN');
    expect(codeOf(`Bearer ${token}x`, admin)).toBe('XASSET_FORBIDDEN');
    expect(codeOf(`Bearer ${token.toUpperCase()}x`, admin)).toBe('XASSET_FORBIDDEN');
  });

  it('is read-only when no admin token is configured, whatever is sent', () => {
    expect(codeOf(`Bearer ${token}`, undefined)).toBe('XASSET_READ_ONLY');
    expect(codeOf(undefined, undefined)).toBe('XASSET_READ_ONLY');
  });
});

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../../contracts/config.js';
import { ForbiddenError, ReadOnlyError, UnauthorizedError } from './http-errors.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Admits a request to a writing route, or throws: no admin token configured → read-only (403),
 * no bearer token → 401, another token → 403. Both tokens are hashed first so the comparison takes
 * the same time whatever their lengths and contents.
 */
export function assertAdmin(authorization: string | undefined, adminToken: Secret | undefined): void {
  if (!adminToken) throw new ReadOnlyError();
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  if (!match?.[1]) throw new UnauthorizedError();
  if (!timingSafeEqual(digest(match[1]), digest(adminToken.reveal()))) throw new ForbiddenError();
}

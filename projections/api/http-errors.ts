import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { z } from 'zod';
import { CommandRefusedError, XassetError } from '../../contracts/errors.js';
import type { ErrorBody } from './schemas.js';

/**
 * Errors only the HTTP edge knows about (who may call, what the server can answer). They follow
 * the contracts/errors.ts pattern: a stable code clients switch on, context in details.
 */
export class UnauthorizedError extends XassetError {
  readonly code = 'XASSET_UNAUTHORIZED';
  constructor() {
    super('this route needs an admin bearer token (Authorization: Bearer <token>)');
  }
}

export class ForbiddenError extends XassetError {
  readonly code = 'XASSET_FORBIDDEN';
  constructor() {
    super('the bearer token is not the admin token');
  }
}

/** No admin token is configured: the API only reads. */
export class ReadOnlyError extends XassetError {
  readonly code = 'XASSET_READ_ONLY';
  constructor() {
    super('read-only: no admin token is configured (XASSET_ADMIN_TOKEN), so nothing can be changed here');
  }
}

/** A part of the control plane this server was built without. */
export class UnavailableError extends XassetError {
  readonly code = 'XASSET_UNAVAILABLE';
  constructor(what: string) {
    super(`${what} is not available on this server`, { what });
  }
}

export class RouteNotFoundError extends XassetError {
  readonly code = 'XASSET_ROUTE_NOT_FOUND';
  constructor(method: string, path: string) {
    super(`no route ${method} ${path}`, { method, path });
  }
}

/** A request the HTTP layer rejects before any route sees it (bad JSON, wrong content type…). */
export class BadRequestError extends XassetError {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** A response that does not fit its own schema: a bug here, never the caller's fault. */
export class ResponseInvalidError extends XassetError {
  readonly code = 'XASSET_RESPONSE_INVALID';
  constructor(route: string, options?: { cause?: unknown }) {
    super(`the response of ${route} does not match its schema`, { route }, options);
  }
}

export class InternalError extends XassetError {
  readonly code = 'XASSET_INTERNAL';
  constructor() {
    super('internal error; the server log has the details');
  }
}

/** The status for every code this API answers with; a code not listed here is a 500. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  XASSET_VALIDATION_FAILED: 400,
  XASSET_BAD_REQUEST: 400,
  XASSET_UNAUTHORIZED: 401,
  XASSET_FORBIDDEN: 403,
  XASSET_READ_ONLY: 403,
  XASSET_NOT_FOUND: 404,
  XASSET_ROUTE_NOT_FOUND: 404,
  XASSET_METHOD_NOT_ALLOWED: 405,
  XASSET_COMMAND_REFUSED: 409,
  XASSET_COMMAND_CONFLICT: 409,
  XASSET_PAYLOAD_TOO_LARGE: 413,
  XASSET_UNSUPPORTED_MEDIA_TYPE: 415,
  XASSET_UNAVAILABLE: 503,
  XASSET_RESPONSE_INVALID: 500,
  XASSET_INTERNAL: 500,
};

/** Fastify's own request errors, by their FST_ code, mapped to ours. */
const FASTIFY_CODES: Readonly<Record<string, readonly [code: string, message: string]>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['XASSET_UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['XASSET_PAYLOAD_TOO_LARGE', 'the body is too large'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['XASSET_BAD_REQUEST', 'the JSON body is empty'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['XASSET_BAD_REQUEST', 'the body is not valid JSON'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['XASSET_BAD_REQUEST', 'the content length does not match the body'],
};

/** Zod issues as field errors: the path and the message, never the value (it may be a token). */
export function fieldIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * Any thrown value as the status and body the API answers with. XassetErrors keep their code and
 * details; anything else becomes a 500 that says nothing about its cause.
 */
export function toErrorResponse(err: unknown): {
  status: number;
  body: ErrorBody;
  /** A server-side fault worth a log line with the original error. */
  internal: boolean;
} {
  let known: XassetError | undefined;
  if (err instanceof XassetError) known = err;
  else if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    const mapped = FASTIFY_CODES[err.code];
    const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    // Fixed messages: a parser's own message may quote the body it choked on.
    if (mapped) known = new BadRequestError(...mapped);
    else if (status >= 400 && status < 500) known = new BadRequestError('XASSET_BAD_REQUEST', 'bad request');
  }
  const error = known ?? new InternalError();
  const body: ErrorBody = {
    error: { code: error.code, message: error.message, details: { ...error.details } },
  };
  if (error instanceof CommandRefusedError) body.error.details.reasons = [...error.reasons];
  const status = STATUS_BY_CODE[error.code] ?? 500;
  return { status, body, internal: status >= 500 };
}

/**
 * A request Node's HTTP parser rejects (a URL or headers past its size limit, bytes that are not
 * HTTP) never reaches a route: it is answered with the status alone, as Node itself does. Fastify's
 * default adds a JSON body, which a client that sent HEAD reads as the start of the next response.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  socket.destroy();
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ValidationError } from '../../contracts/errors.js';
import { fieldIssues, ResponseInvalidError } from './http-errors.js';
import { assertStorableInput } from './input-text.js';

export type MediaType = 'application/json' | 'text/plain' | 'text/html';

export interface RouteInput<Q, P, B> {
  query: Q;
  params: P;
  body: B;
  request: FastifyRequest;
}

/**
 * One route, defined once: Fastify registers it, the handler gets parsed input, the response is
 * checked against its schema before it leaves, and /openapi.json is generated from the same object.
 */
export interface ApiRoute {
  method: 'GET' | 'POST';
  /** Fastify syntax: `/runs/:id`. */
  url: string;
  summary: string;
  tag: string;
  query?: z.ZodType;
  params?: z.ZodType;
  body?: z.ZodType;
  produces: MediaType;
  /** The exact Content-Type header, where the media type needs parameters (Prometheus' version). */
  contentType?: string;
  /** The 200 body; JSON routes only. */
  response?: z.ZodType;
  /** Needs the admin bearer token. */
  admin?: boolean;
  /** Error statuses this route documents (each answers with ErrorBody). */
  errors: readonly number[];
  /** Runs before the input is parsed: authorization must not depend on a well-formed body. */
  guard?(request: FastifyRequest): void;
  handle(input: RouteInput<unknown, unknown, unknown>): Promise<unknown>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

interface JsonRouteSpec<Q, P, B, R extends z.ZodType>
  extends Omit<ApiRoute, 'handle' | 'produces' | 'query' | 'params' | 'body' | 'response'> {
  query?: Q;
  params?: P;
  body?: B;
  response: R;
  handle(input: RouteInput<Out<Q>, Out<P>, Out<B>>): Promise<z.input<R>>;
}

/** A JSON route whose handler sees its parsed query, params and body with their types. */
export function jsonRoute<
  R extends z.ZodType,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: JsonRouteSpec<Q, P, B, R>): ApiRoute {
  return { ...spec, produces: 'application/json' } as ApiRoute;
}

interface RawRouteSpec<Q> extends Omit<ApiRoute, 'handle' | 'query' | 'response'> {
  query?: Q;
  handle(input: RouteInput<Out<Q>, unknown, unknown>): Promise<string>;
}

/** A route that answers text or HTML it renders itself. */
export function rawRoute<Q extends z.ZodType | undefined = undefined>(spec: RawRouteSpec<Q>): ApiRoute {
  return spec as ApiRoute;
}

/** Parses request input or throws ValidationError with one field error per issue. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(what, fieldIssues(result.error));
  return result.data;
}

export function registerRoute(app: FastifyInstance, route: ApiRoute): void {
  app.route({
    method: route.method,
    url: route.url,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      route.guard?.(request);
      // Every route, whatever its own schema reads: nothing unstorable reaches a query.
      assertStorableInput(request);
      const input: RouteInput<unknown, unknown, unknown> = {
        query: route.query ? parseInput(route.query, request.query ?? {}, 'query') : undefined,
        params: route.params ? parseInput(route.params, request.params ?? {}, 'path parameters') : undefined,
        body: route.body ? parseInput(route.body, request.body, 'body') : undefined,
        request,
      };
      const result = await route.handle(input);
      if (route.produces !== 'application/json' || !route.response)
        return reply.type(route.contentType ?? `${route.produces}; charset=utf-8`).send(result);
      const checked = route.response.safeParse(result);
      if (!checked.success)
        throw new ResponseInvalidError(`${route.method} ${route.url}`, { cause: checked.error });
      return reply.type('application/json; charset=utf-8').send(checked.data);
    },
  });
}

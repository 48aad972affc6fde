import { z } from 'zod';
import type { ApiRoute } from './route.js';
import { ErrorBody } from './schemas.js';

type JsonSchema = Record<string, unknown>;

/** A route served outside the plugin (e.g. /health) that the document should still describe. */
export interface DocumentedRoute {
  method: 'GET' | 'POST';
  url: string;
  summary: string;
  tag: string;
  response: z.ZodType;
  /** Statuses other than 200 that answer with the same schema (/health answers 503 when down). */
  alsoAnswers?: readonly number[];
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Invalid query, path or body; details.issues lists the fields',
  401: 'No admin bearer token',
  403: 'Wrong admin token, or the server is read-only',
  404: 'Not found',
  409: 'Command refused; details.reasons lists why',
  415: 'Unsupported content type',
  500: 'Internal error',
  503: 'Not available on this server',
};

const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

/** Query and path schemas become one OpenAPI parameter per property. */
function parametersOf(schema: z.ZodType | undefined, where: 'query' | 'path'): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * OpenAPI 3.1 (whose schema dialect is JSON Schema 2020-12, what zod emits) from the route table:
 * the document cannot drift from what the routes validate.
 */
export function buildOpenApi(
  routes: readonly ApiRoute[],
  info: { title: string; version: string },
  extra: readonly DocumentedRoute[] = [],
): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const errorResponse = (status: number) => ({
    description: REASONS[status] ?? 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
  });
  for (const route of extra) {
    const responses: Record<string, JsonSchema> = {};
    for (const status of [200, ...(route.alsoAnswers ?? [])])
      responses[String(status)] = {
        description: status === 200 ? 'OK' : (REASONS[status] ?? 'Error'),
        content: { 'application/json': { schema: schemaOf(route.response, 'output') } },
      };
    paths[openApiPath(route.url)] ??= {};
    (paths[openApiPath(route.url)] as Record<string, JsonSchema>)[route.method.toLowerCase()] = {
      summary: route.summary,
      tags: [route.tag],
      responses,
    };
  }
  for (const route of routes) {
    const ok: JsonSchema =
      route.produces === 'application/json' && route.response
        ? {
            description: 'OK',
            content: { 'application/json': { schema: schemaOf(route.response, 'output') } },
          }
        : { description: 'OK', content: { [route.produces]: { schema: { type: 'string' } } } };
    const operation: JsonSchema = {
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      responses: {
        '200': ok,
        ...Object.fromEntries(route.errors.map((status) => [String(status), errorResponse(status)])),
      },
    };
    if (route.body)
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
      };
    if (route.admin) operation.security = [{ adminToken: [] }];
    paths[openApiPath(route.url)] ??= {};
    (paths[openApiPath(route.url)] as Record<string, JsonSchema>)[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { ErrorBody: schemaOf(ErrorBody, 'output') },
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
    },
  };
}
